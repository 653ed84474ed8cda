from ..bootstrap import bootstrap

app = bootstrap().web_app()
