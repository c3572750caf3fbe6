"""Operations that cross boundaries (database + client + queue), one module per area.

Functions are keyword-only and named <entity>_<action> (HackSoftware style).
"""
