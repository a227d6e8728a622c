"""Jupyter Book always loads sphinx-thebe, which adds to every page a script that declares ``THEBE_JS_URL``
twice (a console error on each page) and points at thebe on unpkg.com and a default Binder repository. This
book has no Binder repository to run on, so this extension unhooks sphinx-thebe: no request to another host,
no console error. Live ways to run the book: its page "How to run this yourself"."""


def setup(app):
    for event, listeners in app.events.listeners.items():
        app.events.listeners[event] = [listener for listener in listeners
                                       if getattr(listener.handler, "__module__", "") != "sphinx_thebe"]
    # its style sheet too: unhooked, sphinx-thebe no longer copies it, and pages would ask for it in vain
    app.registry.css_files = [(name, attributes) for name, attributes in app.registry.css_files
                              if "thebe" not in str(name)]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
