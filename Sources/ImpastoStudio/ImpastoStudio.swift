// The jobs people run: stylize (Gatys), fast style (apply / train), video; later cutout, faces, explain.
import ImpastoTensor
