// Registration of every class the addon exports.
#pragma once
#include <napi.h>

namespace ms {
void InitVideoDecoder(Napi::Env env, Napi::Object exports);
void InitVideoEncoder(Napi::Env env, Napi::Object exports);
void InitScaler(Napi::Env env, Napi::Object exports);
void InitCompositor(Napi::Env env, Napi::Object exports);
void InitAudioDecoder(Napi::Env env, Napi::Object exports);
void InitAudioEncoder(Napi::Env env, Napi::Object exports);
void InitResampler(Napi::Env env, Napi::Object exports);
}  // namespace ms
