"""The top floor: pages that gather what every other app holds, and the living demo.

Nothing imports this app; it may import any other.
"""
