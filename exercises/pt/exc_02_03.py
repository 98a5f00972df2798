import spacy
from spacy.tokens import Token

nlp = spacy.blank("pt")
CORES = {"vermelho", "verde", "azul"}


def get_e_cor(token):
    return token.lower_ in ____


# Uma extensão de propriedade: calculada pelo getter, cada vez que é lida
Token.set_extension("e_cor", getter=____, force=True)

doc = nlp("Um ônibus Vermelho e uma bicicleta azul.")
cores = [token.text for token in doc if token._.____]
print(cores)
