"""The widget's public files (``/widget/...``)."""

from django.urls import path

from apps.widget import views

urlpatterns = [
    path("widget/v1.js", views.widget_script, name="widget-script"),
    path("widget/v1/strings/<str:language>.json", views.widget_strings, name="widget-strings"),
]
