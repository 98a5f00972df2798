import spacy

nlp = spacy.blank("pt")
# Um reconhecedor de entidades, com o rótulo que ele vai aprender
ner = nlp.add_pipe("ner")
ner.add_label("APARELHO")
# spaCy 3: initialize() (a spaCy 2 o chamava de begin_training())
nlp.initialize()
print(nlp.pipe_names, ner.labels)
