import random

import spacy
from spacy.training import Example

TRAIN = [("I bought an iPhone", {"entities": [(12, 18, "GADGET")]}),
         ("The new iPad is here", {"entities": [(8, 12, "GADGET")]})]

nlp = spacy.blank("en")
nlp.add_pipe("ner").add_label("GADGET")
examples = [Example.from_dict(nlp.make_doc(text), annotations)
            for text, annotations in TRAIN]
optimizer = nlp.initialize(lambda: examples)

random.seed(0)
losses = {}
for epoch in range(3):
    random.shuffle(examples)
    # One update on every example; the losses add up by component
    nlp.update(examples, sgd=optimizer, losses=losses)
print(sorted(losses))
