#include "av_util.h"
#include "codec_classes.h"

extern "C" {
#include <libavutil/log.h>
}

namespace {

bool HasDecoder(const char* name) { return avcodec_find_decoder_by_name(name) != nullptr; }
bool HasEncoder(const char* name) { return avcodec_find_encoder_by_name(name) != nullptr; }

// What this build of FFmpeg can do, so that callers (and tests) know before they try.
Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object caps = Napi::Object::New(env);
  Napi::Object dec = Napi::Object::New(env);
  dec.Set("vp8", HasDecoder("vp8"));
  dec.Set("vp9", HasDecoder("vp9"));
  dec.Set("h264", HasDecoder("h264"));
  dec.Set("av1", HasDecoder("libdav1d") || HasDecoder("libaom-av1") || HasDecoder("av1"));
  dec.Set("opus", HasDecoder("opus") || HasDecoder("libopus"));
  dec.Set("aac", HasDecoder("aac"));
  dec.Set("pcmu", HasDecoder("pcm_mulaw"));
  dec.Set("pcma", HasDecoder("pcm_alaw"));
  Napi::Object enc = Napi::Object::New(env);
  enc.Set("vp8", HasEncoder("libvpx"));
  enc.Set("vp9", HasEncoder("libvpx-vp9"));
  enc.Set("h264", HasEncoder("libx264"));
  enc.Set("opus", HasEncoder("libopus"));
  enc.Set("aac", HasEncoder("aac"));
  enc.Set("pcmu", HasEncoder("pcm_mulaw"));
  enc.Set("pcma", HasEncoder("pcm_alaw"));
  caps.Set("decoders", dec);
  caps.Set("encoders", enc);
  caps.Set("libavcodec", Napi::String::New(env, AV_STRINGIFY(LIBAVCODEC_VERSION)));
  return caps;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // FFmpeg's own stderr chatter (corrupt frames during fuzzing, encoder banners) is not ours to print.
  av_log_set_level(AV_LOG_QUIET);
  exports.Set("capabilities", Napi::Function::New(env, Capabilities));
  ms::InitVideoDecoder(env, exports);
  ms::InitVideoEncoder(env, exports);
  ms::InitScaler(env, exports);
  ms::InitCompositor(env, exports);
  ms::InitAudioDecoder(env, exports);
  ms::InitAudioEncoder(env, exports);
  ms::InitResampler(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(mediaspread_native, Init)
