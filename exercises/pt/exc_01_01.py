import spacy

nlp = spacy.blank("pt")
doc = nlp("O bicho-preguiça dorme na floresta tropical.")

# O primeiro token do doc e o trecho "floresta tropical"
primeiro = doc[____]
lugar = doc[____:____]
print(primeiro.text, "|", lugar.text)
