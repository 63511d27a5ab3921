;; The scan kernel's i8 path, spliced into scan.wat (at its `;; #include
;; scan-i8.wat` line) by scripts/build-kernel.ts: a module cannot be split in
;; the text format, and scan.wat keeps the shared machinery (the heap, the
;; threshold, the exclusions, `run`). See scan.wat's header for the
;; arithmetic; src/i8-scores.ts is its exact JS twin.
  ;; Rounds the $rows f32 coefficients at $coef to i16 codes, written over them
  ;; (code r at $coef + 2r), and returns the step they are multiples of (see
  ;; scan.wat's header). A NaN code (all-zero or non-finite coefficients) is 0.
  (func $codes (param $coef i32) (param $rows i32) (result f32)
    (local $r i32) (local $max f32) (local $step f32) (local $x f32) (local $t f32)
    (loop $scan
      (local.set $max (f32.max (local.get $max) (f32.abs (f32.load (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2)))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $scan (i32.lt_u (local.get $r) (local.get $rows))))
    ;; Q = min(16383, floor((2^31 - 1) / (128 · rows)))
    (local.set $r (i32.div_u (i32.const 0x7fffffff) (i32.shl (local.get $rows) (i32.const 7))))
    (local.set $step
      (f32.div (local.get $max)
        (f32.convert_i32_u (select (i32.const 16383) (local.get $r) (i32.lt_u (i32.const 16383) (local.get $r))))))
    ;; In order: code r overwrites bytes of coefficient r / 2, already read.
    (local.set $r (i32.const 0))
    (loop $round
      (local.set $x (f32.div (f32.load (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2)))) (local.get $step)))
      (local.set $t (f32.trunc (local.get $x)))
      ;; ties away from zero: the fraction x - trunc(x) is exact
      (if (f32.ge (f32.abs (f32.sub (local.get $x) (local.get $t))) (f32.const 0.5))
        (then (local.set $t (f32.add (local.get $t) (f32.copysign (f32.const 1) (local.get $x))))))
      (i32.store16 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 1))) (i32.trunc_sat_f32_s (local.get $t)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $r) (local.get $rows))))
    (local.get $step))

  ;; One i8 matrix of $rows × $n items at $mat (packed-layout.ts: a tile's rows
  ;; in pairs interleaved per item, an odd last row plain), whose item 0 has
  ;; position $start; $c: $rows i16 codes; scores are $step · Σ c·q, the sum
  ;; exact in i32 (see scan.wat's header). Plain SIMD: both builds score alike.
  (func $scan8
    (param $mat i32) (param $rows i32) (param $c i32) (param $step f32) (param $n i32) (param $start i32) (param $tmp i32)
    (local $i i32) (local $end i32) (local $p i32) (local $q i32) (local $r i32) (local $x i32) (local $tail i32) (local $sum i32)
    (local $w v128) (local $t v128) (local $h v128) (local $st v128) (local $s f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $lim i32) (local $ah i32)
    ;; The last address a tile's touch-ahead run may start at: it then ends with the matrix.
    (local.set $lim (i32.add (local.get $mat) (i32.sub (i32.mul (local.get $rows) (local.get $n)) (i32.shl (local.get $rows) (i32.const 5)))))
    (local.set $end (i32.and (local.get $n) (i32.const -32)))
    (local.set $p (local.get $mat))
    (local.set $t (f32x4.splat (global.get $thr)))
    (local.set $st (f32x4.splat (local.get $step)))
    (block $tiles
      (loop $tile
        (br_if $tiles (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $ah (i32.add (local.get $p) (i32.const 1024)))
        (local.set $ah (select (local.get $ah) (local.get $lim) (i32.lt_u (local.get $ah) (local.get $lim))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0))
        (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0))
        (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $c))
        (local.set $r (i32.shr_u (local.get $rows) (i32.const 1)))
        (block $paired
          (br_if $paired (i32.eqz (local.get $r)))
          (loop $pairs
            ;; (c[r], c[r+1]) in every i32 lane; 16 bytes are items 8j … 8j+7, two rows each
            (local.set $w (v128.load32_splat (local.get $q)))
            (local.set $h (v128.load offset=0 (local.get $p)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $h (v128.load offset=16 (local.get $p)))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $h (v128.load offset=32 (local.get $p)))
            (local.set $a4 (i32x4.add (local.get $a4) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $a5 (i32x4.add (local.get $a5) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $h (v128.load offset=48 (local.get $p)))
            (local.set $a6 (i32x4.add (local.get $a6) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $h)) (local.get $w))))
            (local.set $a7 (i32x4.add (local.get $a7) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $h)) (local.get $w))))
            (drop (i32.load8_u (local.get $ah)))
            (local.set $ah (i32.add (local.get $ah) (i32.const 64)))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br_if $pairs (local.get $r))))
        (if (i32.and (local.get $rows) (i32.const 1))
          (then
            ;; The odd last row: 32 items in order, times c[rows - 1].
            (local.set $w (i16x8.splat (i32.load16_s (local.get $q))))
            (local.set $h (i16x8.extend_low_i8x16_s (v128.load offset=0 (local.get $p))))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_s (local.get $h) (local.get $w))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_s (local.get $h) (local.get $w))))
            (local.set $h (i16x8.extend_high_i8x16_s (v128.load offset=0 (local.get $p))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extmul_low_i16x8_s (local.get $h) (local.get $w))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extmul_high_i16x8_s (local.get $h) (local.get $w))))
            (local.set $h (i16x8.extend_low_i8x16_s (v128.load offset=16 (local.get $p))))
            (local.set $a4 (i32x4.add (local.get $a4) (i32x4.extmul_low_i16x8_s (local.get $h) (local.get $w))))
            (local.set $a5 (i32x4.add (local.get $a5) (i32x4.extmul_high_i16x8_s (local.get $h) (local.get $w))))
            (local.set $h (i16x8.extend_high_i8x16_s (v128.load offset=16 (local.get $p))))
            (local.set $a6 (i32x4.add (local.get $a6) (i32x4.extmul_low_i16x8_s (local.get $h) (local.get $w))))
            (local.set $a7 (i32x4.add (local.get $a7) (i32x4.extmul_high_i16x8_s (local.get $h) (local.get $w))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))))
        ;; Integer sums to f32 scores, once per item.
        (local.set $a0 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a0)) (local.get $st)))
        (local.set $a1 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a1)) (local.get $st)))
        (local.set $a2 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a2)) (local.get $st)))
        (local.set $a3 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a3)) (local.get $st)))
        (local.set $a4 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a4)) (local.get $st)))
        (local.set $a5 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a5)) (local.get $st)))
        (local.set $a6 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a6)) (local.get $st)))
        (local.set $a7 (f32x4.mul (f32x4.convert_i32x4_s (local.get $a7)) (local.get $st)))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or (f32x4.ge (local.get $a0) (local.get $t)) (f32x4.ge (local.get $a1) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a2) (local.get $t)) (f32x4.ge (local.get $a3) (local.get $t))))
                (v128.or
                  (v128.or (f32x4.ge (local.get $a4) (local.get $t)) (f32x4.ge (local.get $a5) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a6) (local.get $t)) (f32x4.ge (local.get $a7) (local.get $t))))))
          (then
            (v128.store offset=0 (local.get $tmp) (local.get $a0))
            (v128.store offset=16 (local.get $tmp) (local.get $a1))
            (v128.store offset=32 (local.get $tmp) (local.get $a2))
            (v128.store offset=48 (local.get $tmp) (local.get $a3))
            (v128.store offset=64 (local.get $tmp) (local.get $a4))
            (v128.store offset=80 (local.get $tmp) (local.get $a5))
            (v128.store offset=96 (local.get $tmp) (local.get $a6))
            (v128.store offset=112 (local.get $tmp) (local.get $a7))
            (call $offerTile (local.get $tmp) (i32.add (local.get $start) (local.get $i)))
            (local.set $t (f32x4.splat (global.get $thr)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $tile)))
    ;; The last n mod 32 items, dim-major [rows][tail] at $p, one at a time.
    (local.set $tail (i32.sub (local.get $n) (local.get $end)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $item
        (br_if $done (i32.ge_u (local.get $i) (local.get $tail)))
        (local.set $sum (i32.const 0))
        (local.set $q (local.get $c))
        (local.set $x (i32.add (local.get $p) (local.get $i)))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $sum (i32.add (local.get $sum) (i32.mul (i32.load16_s (local.get $q)) (i32.load8_s (local.get $x)))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (local.set $x (i32.add (local.get $x) (local.get $tail)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (local.set $s (f32.mul (f32.convert_i32_s (local.get $sum)) (local.get $step)))
        (if (f32.ge (local.get $s) (global.get $thr))
          (then (call $offer (local.get $s) (i32.add (i32.add (local.get $start) (local.get $end)) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $item))))
