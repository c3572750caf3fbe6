from django.shortcuts import render


def placeholder(title: str):
    """A page that exists in the navigation before its area is built."""

    def view(request):
        return render(request, "placeholder.html", {"title": title})

    view.__name__ = f"placeholder_{title.lower().replace(' ', '_')}"
    return view
