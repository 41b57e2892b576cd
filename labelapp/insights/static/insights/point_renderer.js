// A minimal WebGL point renderer: one gl.POINTS draw call over a position and a colour
// buffer. Positions are map coordinates in [-1, 1]; the view (centre, zoom) becomes one
// scale and one offset uniform, so panning and zooming never touch the buffers.
"use strict";
window.labelapp = window.labelapp || {};

(function () {
  const VERTEX_SHADER = `
    attribute vec2 a_position;
    attribute vec4 a_color;
    uniform vec2 u_scale;
    uniform vec2 u_offset;
    uniform float u_point_size;
    varying vec4 v_color;
    void main() {
      gl_Position = vec4(a_position * u_scale + u_offset, 0.0, 1.0);
      gl_PointSize = u_point_size;
      v_color = a_color;
    }`;
  const FRAGMENT_SHADER = `
    precision mediump float;
    varying vec4 v_color;
    void main() {
      vec2 offset = gl_PointCoord - vec2(0.5);
      float distance = length(offset) * 2.0;
      if (distance > 1.0) discard;
      float edge = 1.0 - smoothstep(0.7, 1.0, distance);
      gl_FragColor = vec4(v_color.rgb, v_color.a * edge);
    }`;

  function compile(gl, type, source) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      throw new Error("shader: " + gl.getShaderInfoLog(shader));
    }
    return shader;
  }

  function link(gl) {
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error("program: " + gl.getProgramInfoLog(program));
    }
    return program;
  }

  // Returns null when the browser has no WebGL.
  window.labelapp.createPointRenderer = function (canvas) {
    const options = { antialias: true, premultipliedAlpha: false, preserveDrawingBuffer: true };
    const gl = canvas.getContext("webgl", options) || canvas.getContext("experimental-webgl", options);
    if (!gl) return null;
    const program = link(gl);
    const positionBuffer = gl.createBuffer();
    const colorBuffer = gl.createBuffer();
    const where = {
      position: gl.getAttribLocation(program, "a_position"),
      color: gl.getAttribLocation(program, "a_color"),
      scale: gl.getUniformLocation(program, "u_scale"),
      offset: gl.getUniformLocation(program, "u_offset"),
      pointSize: gl.getUniformLocation(program, "u_point_size"),
    };
    let count = 0;

    function setPoints(positions) { // Float32Array [x0, y0, x1, y1, ...]
      gl.bindBuffer(gl.ARRAY_BUFFER, positionBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
      count = positions.length / 2;
    }

    function setColors(colors) { // Uint8Array [r, g, b, a, ...], one quad per point
      gl.bindBuffer(gl.ARRAY_BUFFER, colorBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, colors, gl.DYNAMIC_DRAW);
    }

    // view: {scaleX, scaleY, offsetX, offsetY, pointSize} in clip space, set by the caller.
    function draw(view) {
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(1, 1, 1, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      if (!count) return;
      gl.useProgram(program);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      gl.bindBuffer(gl.ARRAY_BUFFER, positionBuffer);
      gl.enableVertexAttribArray(where.position);
      gl.vertexAttribPointer(where.position, 2, gl.FLOAT, false, 0, 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, colorBuffer);
      gl.enableVertexAttribArray(where.color);
      gl.vertexAttribPointer(where.color, 4, gl.UNSIGNED_BYTE, true, 0, 0);
      gl.uniform2f(where.scale, view.scaleX, view.scaleY);
      gl.uniform2f(where.offset, view.offsetX, view.offsetY);
      gl.uniform1f(where.pointSize, view.pointSize);
      gl.drawArrays(gl.POINTS, 0, count);
    }

    return { setPoints, setColors, draw };
  };
})();
