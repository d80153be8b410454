"""Recognizers Hong Kong needs beyond Presidio's defaults, one per module.

Nothing is imported here so that ``import crm_backend.privacy`` stays cheap: the scrubber
imports the modules (and with them Presidio) when it is first built.
"""
