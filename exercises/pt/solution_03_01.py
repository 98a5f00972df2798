import spacy
from spacy.training import Example

nlp = spacy.blank("pt")
doc = nlp.make_doc("Voei de Lisboa para Recife.")
anotacoes = {"entities": [(8, 14, "LOC"), (20, 26, "LOC")]}

# O Doc do texto e as suas anotações formam um exemplo de treino
exemplo = Example.from_dict(doc, anotacoes)
esperado = [(ent.text, ent.label_) for ent in exemplo.reference.ents]
print(esperado)
