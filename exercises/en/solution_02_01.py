import spacy
from spacy.language import Language


@Language.component("token_counter")
def token_counter(doc):
    print("This document has", len(doc), "tokens.")
    # A component hands the doc on to the next one
    return doc


nlp = spacy.blank("en")
nlp.add_pipe("token_counter")
doc = nlp("Components run in the order they were added.")
print(nlp.pipe_names)
