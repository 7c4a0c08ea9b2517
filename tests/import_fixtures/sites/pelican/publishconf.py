import sys

sys.path.append(".")
from pelicanconf import *  # noqa

SITEURL = "https://pelican.example.org/news"
