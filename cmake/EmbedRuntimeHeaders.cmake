# Writes OUTPUT: the runtime headers CUDA_H and MODEL_H as C++ string
# constants (mp::kRuntimeCudaHeader, mp::kRuntimeModelHeader).
file(READ ${CUDA_H} cuda)
file(READ ${MODEL_H} model)
file(WRITE ${OUTPUT} "// Generated from runtime/include/mp/Runtime by EmbedRuntimeHeaders.cmake.\n"
  "namespace mp {\n"
  "extern const char *const kRuntimeCudaHeader = R\"mpheader(${cuda})mpheader\";\n"
  "extern const char *const kRuntimeModelHeader = R\"mpheader(${model})mpheader\";\n"
  "} // namespace mp\n")
