import spacy
from spacy.tokens import Token

nlp = spacy.blank("en")
COLORS = {"red", "green", "blue"}


def get_is_color(token):
    return token.lower_ in COLORS


# A property extension: computed by its getter, every time it is read
Token.set_extension("is_color", getter=get_is_color, force=True)

doc = nlp("A Red bus and a blue bike.")
colors = [token.text for token in doc if token._.is_color]
print(colors)
