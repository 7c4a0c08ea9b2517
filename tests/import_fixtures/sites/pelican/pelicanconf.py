import os

AUTHOR = "Desk Editor"
SITENAME = "The Pelican Post"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "en"
THEME = os.path.join(os.path.dirname(__file__), "theme")  # computed: never run, left out
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
ARTICLE_LANG_URL = "{lang}/{slug}.html"
ARTICLE_LANG_SAVE_AS = ARTICLE_LANG_URL
STATIC_PATHS = ["images"]
