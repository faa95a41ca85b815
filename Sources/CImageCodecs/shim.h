// libjpeg-turbo (Debian libjpeg62-turbo-dev) and libpng 1.6 (Debian libpng-dev).
// Imported by ImpastoMedia only; nothing here is public API.
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <png.h>
