import spacy

nlp = spacy.blank("en")
# An entity recognizer, with the label it will learn
ner = nlp.add_pipe(____)
ner.add_label(____)
# spaCy 3: initialize() (spaCy 2 called it begin_training())
nlp.____()
print(nlp.pipe_names, ner.labels)
