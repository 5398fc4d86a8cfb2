app_name = "klienti"
urlpatterns: list = []
