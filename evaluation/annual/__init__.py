"""The annual evaluation of members and units: pure scoring (``scoring``) and list rules (``lists``).

Nothing here touches the database; ``evaluation.services.annual`` reads the year's records
into the plain values these modules take and stores what they return.
"""
