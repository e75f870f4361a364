# Alternative build with node-gyp (`npm run build:gyp`); the default build is cmake-js (CMakeLists.txt),
# which finds libtorch through its CMake package. This file compiles the same sources against a
# libtorch found at TORCH_PREFIX (default: Debian's libtorch-dev layout).
{
  "variables": {
    "torch_include%": "<!(node -p \"process.env.RESURFACE_TORCH_INCLUDE || '/usr/include'\")",
    "torch_lib%": "<!(node -p \"process.env.RESURFACE_TORCH_LIB || '/usr/lib/' + (process.arch === 'arm64' ? 'aarch64' : 'x86_64') + '-linux-gnu'\")"
  },
  "targets": [
    {
      "target_name": "resurface",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native', {recursive: true}).filter(f => f.endsWith('.cc')).map(f => 'native/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<(torch_include)",
        "<(torch_include)/torch/csrc/api/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"],
      "libraries": [
        "-L<(torch_lib)",
        "-ltorch", "-ltorch_cpu", "-lc10",
        "-Wl,--disable-new-dtags",
        "-Wl,-rpath,<(torch_lib)/openblas-openmp",
        "-Wl,-rpath,<(torch_lib)"
      ]
    }
  ]
}
