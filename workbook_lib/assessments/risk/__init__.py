"""The risk evaluation: score a risk register under a methodology.

Modules, each on the ones before it: ``methodology`` (the methodology files) <- ``register`` and ``params``
(the inputs) <- ``records`` (the risk record kind in the store) and ``scoring`` <- ``report``, ``charts`` and
``figures`` <- ``run`` <- ``form`` (the web form); ``spec`` declares the assessment to the registry.
"""
