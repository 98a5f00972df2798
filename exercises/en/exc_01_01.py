import spacy

nlp = spacy.blank("en")
doc = nlp("The tree kangaroo lives in the rainforest.")

# The first token of the doc, and the span "tree kangaroo"
first = doc[____]
animal = doc[____:____]
print(first.text, "|", animal.text)
