import random

import spacy
from spacy.training import Example

TREINO = [("Comprei um iPhone", {"entities": [(11, 17, "APARELHO")]}),
          ("O novo iPad chegou", {"entities": [(7, 11, "APARELHO")]})]

nlp = spacy.blank("pt")
nlp.add_pipe("ner").add_label("APARELHO")
exemplos = [Example.from_dict(nlp.make_doc(texto), anotacoes)
            for texto, anotacoes in TREINO]
otimizador = nlp.initialize(lambda: exemplos)

random.seed(0)
perdas = {}
for epoca in range(3):
    random.shuffle(exemplos)
    # Uma atualização com todos os exemplos; as perdas se somam por componente
    nlp.update(exemplos, sgd=otimizador, losses=perdas)
print(sorted(perdas))
