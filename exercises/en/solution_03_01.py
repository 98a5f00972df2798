import spacy
from spacy.training import Example

nlp = spacy.blank("en")
doc = nlp.make_doc("I flew from London to Berlin.")
annotations = {"entities": [(12, 18, "GPE"), (22, 28, "GPE")]}

# The text's Doc and its annotations make one training example
example = Example.from_dict(doc, annotations)
gold = [(ent.text, ent.label_) for ent in example.reference.ents]
print(gold)
