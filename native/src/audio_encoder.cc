// Audio encoder: interleaved s16 in (any amount), encoded frames out (Opus 20 ms, AAC 1024
// samples, G.711 20 ms); samples are buffered until a whole codec frame is available.
#include "av_util.h"
#include "codec_classes.h"

extern "C" {
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
}

namespace ms {
namespace {

struct AudioPacket {
  Bytes data;
  int64_t pts = 0;
  int samples = 0;
};

struct FifoDeleter {
  void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};

class AudioEncoder : public Napi::ObjectWrap<AudioEncoder> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("AudioEncoder", DefineClass(env, "AudioEncoder",
                                            {InstanceMethod("encode", &AudioEncoder::Encode),
                                             InstanceMethod("info", &AudioEncoder::Info),
                                             InstanceMethod("close", &AudioEncoder::Close)}));
  }

  // new AudioEncoder({codec, sampleRate, channels, bitrate})
  explicit AudioEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AudioEncoder>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options expected");
    Napi::Object o = info[0].As<Napi::Object>();
    std::string codec = GetString(o, "codec", "");
    const char* name = codec == "opus"   ? "libopus"
                       : codec == "aac"  ? "aac"
                       : codec == "pcmu" ? "pcm_mulaw"
                       : codec == "pcma" ? "pcm_alaw"
                                         : nullptr;
    const AVCodec* enc = name ? avcodec_find_encoder_by_name(name) : nullptr;
    if (!enc) throw Napi::Error::New(env, "no encoder for " + codec);
    ctx_.reset(avcodec_alloc_context3(enc));
    if (!ctx_) throw Napi::Error::New(env, "out of memory");
    channels_ = GetInt(o, "channels", 1);
    if (channels_ < 1 || channels_ > 8) throw Napi::RangeError::New(env, "channels must be 1..8");
    ctx_->sample_rate = GetInt(o, "sampleRate", 48000);
    av_channel_layout_default(&ctx_->ch_layout, channels_);
    ctx_->bit_rate = int64_t(GetNumber(o, "bitrate", codec == "aac" ? 128000 : 64000));
    ctx_->time_base = AVRational{1, ctx_->sample_rate};
    ctx_->sample_fmt = codec == "aac" ? AV_SAMPLE_FMT_FLTP : AV_SAMPLE_FMT_S16;
    // Raw AAC frames plus an AudioSpecificConfig (extradata), as RTP/FLV carry them.
    if (codec == "aac") ctx_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    if (codec == "opus") av_dict_set(&opts, "application", "voip", 0);
    int err = avcodec_open2(ctx_.get(), enc, &opts);
    av_dict_free(&opts);
    if (err < 0) throw Napi::Error::New(env, "cannot open encoder: " + AvErrorText(err));
    frameSize_ = ctx_->frame_size > 0 ? ctx_->frame_size : ctx_->sample_rate / 50;
    SwrContext* s = nullptr;
    err = swr_alloc_set_opts2(&s, &ctx_->ch_layout, ctx_->sample_fmt, ctx_->sample_rate, &ctx_->ch_layout,
                              AV_SAMPLE_FMT_S16, ctx_->sample_rate, 0, nullptr);
    if (err < 0 || swr_init(s) < 0) {
      swr_free(&s);
      throw Napi::Error::New(env, "cannot set up sample conversion");
    }
    swr_.reset(s);
    fifo_.reset(av_audio_fifo_alloc(ctx_->sample_fmt, channels_, frameSize_ * 4));
    if (!fifo_) throw Napi::Error::New(env, "out of memory");
  }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("frameSize", frameSize_);
    o.Set("sampleRate", ctx_ ? ctx_->sample_rate : 0);
    o.Set("channels", channels_);
    o.Set("delay", ctx_ ? ctx_->initial_padding : 0);
    Bytes extra;
    if (ctx_ && ctx_->extradata_size > 0) extra.assign(ctx_->extradata, ctx_->extradata + ctx_->extradata_size);
    o.Set("extradata", ToBuffer(env, std::move(extra)));
    return o;
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "samples must be an Int16Array");
    PinnedBytes in = Pin(info[0], "samples");
    if ((in.size / 2) % channels_ != 0) throw Napi::RangeError::New(env, "sample count is not a multiple of channels");
    auto samples = std::make_shared<std::vector<int16_t>>(reinterpret_cast<const int16_t*>(in.data),
                                                          reinterpret_cast<const int16_t*>(in.data) + in.size / 2);
    return AsyncTask<std::vector<AudioPacket>>::Run(
        env, Value(), [this, samples]() { return Run(*samples); },
        [](Napi::Env e, std::vector<AudioPacket>& pkts) -> Napi::Value {
          Napi::Array arr = Napi::Array::New(e, pkts.size());
          for (size_t i = 0; i < pkts.size(); i++) {
            Napi::Object o = Napi::Object::New(e);
            o.Set("pts", Napi::Number::New(e, double(pkts[i].pts)));
            o.Set("samples", pkts[i].samples);
            o.Set("data", ToBuffer(e, std::move(pkts[i].data)));
            arr.Set(uint32_t(i), o);
          }
          return arr;
        });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_.reset();
    return info.Env().Undefined();
  }

  std::vector<AudioPacket> Run(const std::vector<int16_t>& samples) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ctx_) throw CodecFailure("encoder closed");
    int n = int(samples.size() / channels_);
    std::vector<AudioPacket> out;
    if (n == 0) return out;
    // Convert to the encoder's sample format into a scratch frame, then queue it.
    FramePtr conv = NewFrame();
    conv->format = ctx_->sample_fmt;
    conv->nb_samples = n;
    conv->sample_rate = ctx_->sample_rate;
    int err = av_channel_layout_copy(&conv->ch_layout, &ctx_->ch_layout);
    if (err < 0 || (err = av_frame_get_buffer(conv.get(), 0)) < 0) ThrowAv("audio buffer", err);
    const uint8_t* in[1] = {reinterpret_cast<const uint8_t*>(samples.data())};
    int converted = swr_convert(swr_.get(), conv->extended_data, n, in, n);
    if (converted < 0) throw CodecFailure("audio conversion failed");
    if (av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(conv->extended_data), converted) < converted)
      throw CodecFailure("audio queue full");
    PacketPtr pkt = NewPacket();
    while (av_audio_fifo_size(fifo_.get()) >= frameSize_) {
      FramePtr frame = NewFrame();
      frame->format = ctx_->sample_fmt;
      frame->nb_samples = frameSize_;
      frame->sample_rate = ctx_->sample_rate;
      err = av_channel_layout_copy(&frame->ch_layout, &ctx_->ch_layout);
      if (err < 0 || (err = av_frame_get_buffer(frame.get(), 0)) < 0) ThrowAv("audio buffer", err);
      av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->extended_data), frameSize_);
      frame->pts = nextPts_;
      nextPts_ += frameSize_;
      err = avcodec_send_frame(ctx_.get(), frame.get());
      if (err < 0) ThrowAv("encode", err);
      for (;;) {
        err = avcodec_receive_packet(ctx_.get(), pkt.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) break;
        if (err < 0) ThrowAv("encode", err);
        AudioPacket p;
        p.data.assign(pkt->data, pkt->data + pkt->size);
        p.pts = pkt->pts;
        p.samples = pkt->duration > 0 ? int(pkt->duration) : frameSize_;
        out.push_back(std::move(p));
        av_packet_unref(pkt.get());
      }
    }
    return out;
  }

  std::mutex mu_;
  CodecContextPtr ctx_;
  SwrPtr swr_;
  std::unique_ptr<AVAudioFifo, FifoDeleter> fifo_;
  int channels_ = 1;
  int frameSize_ = 960;
  int64_t nextPts_ = 0;
};

}  // namespace

void InitAudioEncoder(Napi::Env env, Napi::Object exports) { AudioEncoder::Init(env, exports); }

}  // namespace ms
