// A decode step's Mamba-2 conv1d and SSD scan in one kernel (a device
// backend's library operation, not in any plan: docs/runtime.md, "Conv and
// scan in one launch"). Its arguments are nhc_conv1d_act's, then
// nhc_ssd_scan's less the ones they share (the scan's xbc is the conv's
// `out`, its request table and request count the conv's), then
// `group_arrivals` (i32, at least R * G elements, all zero: the GPU form's
// per-(request, group) arrival counts, left zero again; the host form does
// not read it). The host form is the two kernels in turn, so the GPU
// form's results are those of the pair; the GPU form
// (ssd_conv_scan_gpu.mlir) computes only requests of one token, which is
// every request of the steps it is launched for. Its `_bf16_state` form
// (nhc.bf16_state_form) pairs with the scans' bf16 state forms.
func.func @nhc_ssd_conv_scan(%src: memref<?xf32>, %src_stride: index,
                             %src_offset: index, %out: memref<?xf32>,
                             %w: memref<?xf32>, %b: memref<?xf32>,
                             %has_bias: index, %act: index,
                             %conv_state: memref<?xf32>, %req: memref<?xi64>,
                             %R: index, %C: index, %K: index, %T: index,
                             %proj: memref<?xf32>, %proj_stride: index,
                             %dt_offset: index, %dt_bias: memref<?xf32>,
                             %a_log: memref<?xf32>, %d: memref<?xf32>,
                             %ssm_state: memref<?xf32> {nhc.bf16_state}, %y: memref<?xf32>,
                             %H: index, %P: index, %N: index, %G: index,
                             %dt_min: f32, %dt_max: f32,
                             %group_arrivals: memref<?xi32>) attributes {nhc.bf16_state_form = "nhc_ssd_conv_scan_bf16_state"} {
  func.call @nhc_conv1d_act(%src, %src_stride, %src_offset, %out, %w, %b, %has_bias, %act, %conv_state, %req, %R, %C, %K, %T)
      : (memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xi64>, index, index, index, index) -> ()
  func.call @nhc_ssd_scan(%out, %proj, %proj_stride, %dt_offset, %dt_bias, %a_log, %d, %ssm_state, %y, %req, %R, %H, %P, %N, %G, %dt_min, %dt_max)
      : (memref<?xf32>, memref<?xf32>, index, index, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xi64>, index, index, index, index, index, f32, f32) -> ()
  return
}
