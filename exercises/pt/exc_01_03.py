import spacy
from spacy.matcher import Matcher

nlp = spacy.blank("pt")
matcher = Matcher(nlp.vocab)
doc = nlp("O iPhone 15 é melhor do que o iphone 14?")

# "iphone" com qualquer capitalização, depois um número
padrao = [{"LOWER": ____}, {"IS_DIGIT": ____}]
matcher.add("IPHONE", [____])
achados = [doc[inicio:fim].text for match_id, inicio, fim in matcher(doc)]
print(achados)
