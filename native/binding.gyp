{
  # Built by `npx --no-install node-gyp rebuild` from native/ (scripts/setup.sh does it).
  # node-addon-api is resolved from the repository root's node_modules.
  'targets': [
    {
      'target_name': 'mediaspread_native',
      'sources': [
        'src/addon.cc',
        'src/av_util.cc',
        'src/video_decoder.cc',
        'src/video_encoder.cc',
        'src/scaler.cc',
        'src/compositor.cc',
        'src/audio_decoder.cc',
        'src/audio_encoder.cc',
        'src/resampler.cc',
      ],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'include_dirs': [
        "<!@(pkg-config --cflags-only-I libavcodec libswscale libswresample libavutil | sed -e 's/-I//g')",
      ],
      'libraries': [
        "<!@(pkg-config --libs libavcodec libswscale libswresample libavutil)",
      ],
      'cflags_cc': ['-std=c++17', '-O2', '-Wall'],
      'defines': ['NAPI_VERSION=8'],
    },
  ],
}
