import spacy

nlp = spacy.blank("en")
# An entity recognizer, with the label it will learn
ner = nlp.add_pipe("ner")
ner.add_label("GADGET")
# spaCy 3: initialize() (spaCy 2 called it begin_training())
nlp.initialize()
print(nlp.pipe_names, ner.labels)
