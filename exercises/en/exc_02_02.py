import spacy

nlp = spacy.blank("en")
ruler = nlp.add_pipe(____)
patterns = [{"label": ____, "pattern": [{"LOWER": "tree"}, {"LOWER": "kangaroo"}]}]
ruler.add_patterns(patterns)

doc = nlp("A tree kangaroo and a wombat.")
entities = [(ent.text, ent.label_) for ent in doc.ents]
print(entities)
