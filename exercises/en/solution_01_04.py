import json

import spacy
from spacy.matcher import PhraseMatcher

with open("exercises/en/countries.json", encoding="utf8") as f:
    COUNTRIES = json.load(f)

nlp = spacy.blank("en")
matcher = PhraseMatcher(nlp.vocab)
# One pattern per country: nlp.pipe makes them fast
matcher.add("COUNTRY", list(nlp.pipe(COUNTRIES)))

doc = nlp("From Portugal to Brazil, by way of Cape Verde.")
found = [doc[start:end].text for match_id, start, end in matcher(doc)]
print(found)
