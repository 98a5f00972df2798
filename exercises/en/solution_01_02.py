import spacy

nlp = spacy.blank("en")
doc = nlp("I like coffee")

# The hash of "coffee", then the string of that hash
coffee_hash = nlp.vocab.strings["coffee"]
coffee_string = nlp.vocab.strings[coffee_hash]
print(coffee_hash, coffee_string)
