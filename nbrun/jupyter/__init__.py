"""The kernel side of the notebook experience: the live widget, the snapshot a saved notebook
keeps, ``display()``/``to_html()`` and the ``%nbrun`` magics. It attaches to runs through
:mod:`nbrun.sdk.hooks`; the Jupyter server side is :mod:`nbrun.jupyter_server`."""
