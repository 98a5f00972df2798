import spacy

nlp = spacy.blank("en")
doc = nlp("I like coffee")

# The hash of "coffee", then the string of that hash
coffee_hash = nlp.vocab.strings[____]
coffee_string = nlp.vocab.strings[____]
print(coffee_hash, coffee_string)
