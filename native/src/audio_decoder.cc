// Audio decoder: Opus/AAC/G.711 frames in, interleaved s16 samples out.
#include "av_util.h"
#include "codec_classes.h"

#include <cstring>

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace ms {
namespace {

struct Pcm {
  std::vector<int16_t> samples;
  int sampleRate = 0, channels = 0;
  int64_t pts = 0;
  bool hasPts = false;
};

const AVCodec* FindAudioDecoder(const std::string& codec) {
  if (codec == "opus") {
    if (const AVCodec* c = avcodec_find_decoder_by_name("opus")) return c;
    return avcodec_find_decoder_by_name("libopus");
  }
  if (codec == "aac") return avcodec_find_decoder_by_name("aac");
  if (codec == "pcmu") return avcodec_find_decoder_by_name("pcm_mulaw");
  if (codec == "pcma") return avcodec_find_decoder_by_name("pcm_alaw");
  return nullptr;
}

class AudioDecoder : public Napi::ObjectWrap<AudioDecoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("AudioDecoder", DefineClass(env, "AudioDecoder",
                                            {InstanceMethod("decode", &AudioDecoder::Decode),
                                             InstanceMethod("close", &AudioDecoder::Close)}));
  }

  // new AudioDecoder({codec, sampleRate, channels, extradata?})
  explicit AudioDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AudioDecoder>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options expected");
    Napi::Object o = info[0].As<Napi::Object>();
    std::string codec = GetString(o, "codec", "");
    const AVCodec* dec = FindAudioDecoder(codec);
    if (!dec) throw Napi::Error::New(env, "no decoder for " + codec);
    ctx_.reset(avcodec_alloc_context3(dec));
    if (!ctx_) throw Napi::Error::New(env, "out of memory");
    ctx_->sample_rate = GetInt(o, "sampleRate", 48000);
    av_channel_layout_default(&ctx_->ch_layout, GetInt(o, "channels", 1));
    Napi::Value extra = o.Get("extradata");
    if (extra.IsTypedArray()) {
      PinnedBytes pin = Pin(extra, "extradata");
      ctx_->extradata = static_cast<uint8_t*>(av_mallocz(pin.size + AV_INPUT_BUFFER_PADDING_SIZE));
      std::memcpy(ctx_->extradata, pin.data, pin.size);
      ctx_->extradata_size = int(pin.size);
    }
    int err = avcodec_open2(ctx_.get(), dec, nullptr);
    if (err < 0) throw Napi::Error::New(env, "cannot open decoder: " + AvErrorText(err));
  }

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PinnedBytes in = Pin(info[0], "payload");
    auto payload = std::make_shared<Bytes>(in.data, in.data + in.size);
    int64_t pts = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : AV_NOPTS_VALUE;
    return AsyncTask<Pcm>::Run(
        env, Value(), [this, payload, pts]() { return Run(*payload, pts); },
        [](Napi::Env e, Pcm& pcm) -> Napi::Value {
          Napi::Object o = Napi::Object::New(e);
          o.Set("sampleRate", pcm.sampleRate);
          o.Set("channels", pcm.channels);
          o.Set("pts", pcm.hasPts ? Napi::Number::New(e, double(pcm.pts)) : e.Null());
          o.Set("samples", ToInt16Array(e, std::move(pcm.samples)));
          return o;
        });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_.reset();
    swr_.reset();
    return info.Env().Undefined();
  }

  Pcm Run(const Bytes& payload, int64_t pts) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ctx_) throw CodecFailure("decoder closed");
    Pcm pcm;
    pcm.sampleRate = ctx_->sample_rate;
    pcm.channels = ctx_->ch_layout.nb_channels;
    if (payload.empty()) return pcm;
    PacketPtr pkt = NewPacket();
    int err = av_new_packet(pkt.get(), int(payload.size()));
    if (err < 0) ThrowAv("packet", err);
    std::memcpy(pkt->data, payload.data(), payload.size());
    pkt->pts = pts;
    err = avcodec_send_packet(ctx_.get(), pkt.get());
    if (err < 0) ThrowAv("decode", err);
    FramePtr frame = NewFrame();
    for (;;) {
      err = avcodec_receive_frame(ctx_.get(), frame.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) break;
      if (err < 0) ThrowAv("decode", err);
      if (!pcm.hasPts && frame->pts != AV_NOPTS_VALUE) {
        pcm.pts = frame->pts;
        pcm.hasPts = true;
      }
      Append(frame.get(), pcm);
      av_frame_unref(frame.get());
    }
    return pcm;
  }

  // Converts whatever the decoder produced (fltp for Opus/AAC, s16 for G.711) to interleaved s16.
  void Append(const AVFrame* f, Pcm& pcm) {
    int channels = f->ch_layout.nb_channels;
    if (channels <= 0 || f->sample_rate <= 0) throw CodecFailure("decoder produced no audio parameters");
    if (!swr_ || swrFormat_ != f->format || swrRate_ != f->sample_rate || swrChannels_ != channels) {
      SwrContext* s = nullptr;
      AVChannelLayout layout;
      av_channel_layout_default(&layout, channels);
      int err = swr_alloc_set_opts2(&s, &layout, AV_SAMPLE_FMT_S16, f->sample_rate, &layout,
                                    AVSampleFormat(f->format), f->sample_rate, 0, nullptr);
      if (err < 0 || swr_init(s) < 0) {
        swr_free(&s);
        throw CodecFailure("cannot convert decoded audio");
      }
      swr_.reset(s);
      swrFormat_ = f->format;
      swrRate_ = f->sample_rate;
      swrChannels_ = channels;
    }
    pcm.sampleRate = f->sample_rate;
    pcm.channels = channels;
    size_t offset = pcm.samples.size();
    pcm.samples.resize(offset + size_t(f->nb_samples) * channels);
    uint8_t* out[1] = {reinterpret_cast<uint8_t*>(pcm.samples.data() + offset)};
    int n = swr_convert(swr_.get(), out, f->nb_samples, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
    if (n < 0) throw CodecFailure("audio conversion failed");
    pcm.samples.resize(offset + size_t(n) * channels);
  }

  std::mutex mu_;
  CodecContextPtr ctx_;
  SwrPtr swr_;
  int swrFormat_ = -1, swrRate_ = 0, swrChannels_ = 0;
};

}  // namespace

void InitAudioDecoder(Napi::Env env, Napi::Object exports) { AudioDecoder::Init(env, exports); }

}  // namespace ms
