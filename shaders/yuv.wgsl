// Draws one decoded YUV picture into the tile rectangle egui gives the paint callback.
// The conversion matrix comes from the CPU (vigil_frame::colour); this shader only
// applies it. Output is gamma-encoded R'G'B' for egui's non-sRGB framebuffer.
// Group 0 is the picture's textures (one bind group per texture set); group 1 is this
// draw's uniforms, at a dynamic offset chosen per paint callback (crates/gpu/src/video.rs).

struct Uniforms {
    // rgb[i] = dot(rows[i].xyz, yuv) + rows[i].w
    rows: array<vec4<f32>, 3>,
    // Texture coordinates of the visible part: min.xy, max.xy (crop for fill mode).
    uv_rect: vec4<f32>,
    // x: brightness factor (1 live, < 1 dimmed), y: 1 for NV12 (UV interleaved),
    // z: 1 when the target is an sRGB format and output must be linearised.
    params: vec4<f32>,
};

@group(0) @binding(0) var tex_y: texture_2d<f32>;
@group(0) @binding(1) var tex_u: texture_2d<f32>;
@group(0) @binding(2) var tex_v: texture_2d<f32>;
@group(0) @binding(3) var samp: sampler;
@group(1) @binding(0) var<uniform> u: Uniforms;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

// A quad over the whole viewport (egui sets the viewport to the callback rect),
// drawn as a 4-vertex triangle strip.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    let corner = vec2<f32>(f32(index & 1u), f32((index >> 1u) & 1u));
    var out: VertexOut;
    out.position = vec4<f32>(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0, 0.0, 1.0);
    out.uv = mix(u.uv_rect.xy, u.uv_rect.zw, corner);
    return out;
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let y = textureSample(tex_y, samp, in.uv).r;
    let cu = textureSample(tex_u, samp, in.uv);
    let cv = textureSample(tex_v, samp, in.uv).r;
    let chroma = select(vec2<f32>(cu.r, cv), cu.rg, u.params.y > 0.5);
    let yuv = vec3<f32>(y, chroma.x, chroma.y);
    var rgb = vec3<f32>(
        dot(u.rows[0].xyz, yuv) + u.rows[0].w,
        dot(u.rows[1].xyz, yuv) + u.rows[1].w,
        dot(u.rows[2].xyz, yuv) + u.rows[2].w,
    );
    rgb = clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)) * u.params.x;
    if (u.params.z > 0.5) {
        rgb = srgb_to_linear(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
