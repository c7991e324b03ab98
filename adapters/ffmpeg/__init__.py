"""ffmpeg adapter: probing, transcoding, silence detection and cutting with one ffmpeg binary.

The binary is the system ``ffmpeg`` when on PATH, otherwise the one ``imageio-ffmpeg`` bundles
(no ``ffprobe`` is needed: probing parses ``ffmpeg -i`` and, when the header is silent, a decode).
"""
