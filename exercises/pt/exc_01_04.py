import json

import spacy
from spacy.matcher import PhraseMatcher

with open("exercises/pt/paises.json", encoding="utf8") as f:
    PAISES = json.load(f)

nlp = spacy.blank("pt")
matcher = PhraseMatcher(nlp.vocab)
# Um padrão por país: nlp.pipe os faz depressa
matcher.add("PAIS", list(nlp.pipe(____)))

doc = nlp("De Portugal ao Brasil, passando por Cabo Verde.")
achados = [doc[inicio:fim].text for match_id, inicio, fim in ____]
print(achados)
