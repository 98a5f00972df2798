import spacy
from spacy.language import Language


@Language.component("contador_de_tokens")
def contador_de_tokens(doc):
    print("Este documento tem", len(doc), "tokens.")
    # Um componente passa o doc adiante, para o próximo
    return doc


nlp = spacy.blank("pt")
nlp.add_pipe("contador_de_tokens")
doc = nlp("Os componentes rodam na ordem em que foram adicionados.")
print(nlp.pipe_names)
