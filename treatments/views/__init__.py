"""Pages of the treatments app: the specialist's (``specialist``) and the patient's
(``patient``)."""
