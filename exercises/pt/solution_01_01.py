import spacy

nlp = spacy.blank("pt")
doc = nlp("O bicho-preguiça dorme na floresta tropical.")

# O primeiro token do doc e o trecho "floresta tropical"
primeiro = doc[0]
lugar = doc[4:6]
print(primeiro.text, "|", lugar.text)
