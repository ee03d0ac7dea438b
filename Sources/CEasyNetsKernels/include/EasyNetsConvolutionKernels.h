// A convolution's im2col and col2im for one image, the channels first ..< first + count (callers
// split the channels across threads).
//
// Contract: bit-identical to the Swift reference loops (Kernels+Convolution.swift): im2col only
// copies values and writes zeros; col2im adds each column value onto its input position in the
// same order.
#ifndef EASYNETS_CONVOLUTION_KERNELS_H
#define EASYNETS_CONVOLUTION_KERNELS_H

#include <stddef.h>

/// The 12 sizes of a convolution's window, in this order: input height and width, output height
/// and width, kernel height and width, strides, dilations, and the padding before the first row
/// and column. An image is (channels, height, width); its columns (channels·kh·kw, outHeight·outWidth):
/// row (c, i, j) holds, for every output position, the input at tap (i, j) of channel c, or 0 in
/// the padding.
void easynets_im2col_f32(const float *image, float *columns, ptrdiff_t first, ptrdiff_t count, const ptrdiff_t *window);
void easynets_im2col_f64(const double *image, double *columns, ptrdiff_t first, ptrdiff_t count, const ptrdiff_t *window);

/// Adds each column value onto the input position it was read from (the transpose of im2col);
/// padding taps are dropped.
void easynets_col2im_f32(const float *columns, float *image, ptrdiff_t first, ptrdiff_t count, const ptrdiff_t *window);
void easynets_col2im_f64(const double *columns, double *image, ptrdiff_t first, ptrdiff_t count, const ptrdiff_t *window);

#endif
