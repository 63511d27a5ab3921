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
    ;; Q = min(127, floor((2^31 - 1) / (128 · rows))): 127 keeps c[4p+2] − 256·c[4p] an i16 ($scan8)
    (local.set $r (i32.div_u (i32.const 0x7fffffff) (i32.shl (local.get $rows) (i32.const 7))))
    (local.set $step
      (f32.div (local.get $max)
        (f32.convert_i32_u (select (i32.const 127) (local.get $r) (i32.lt_u (i32.const 127) (local.get $r))))))
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

  ;; A floor for the integer sums s of a segment scored with $step: every s whose score
  ;; f32(f32(s) · step) reaches $thr is above it, so a tile whose sums are all at or below
  ;; it is skipped without converting them. x = thr / step (f64), less 2^-20 of itself and
  ;; 2, stays below every such s: each of the two f32 roundings moves a normal value by at
  ;; most 2^-24 of it, so s ≥ x − 2^-22·|x|. INT_MIN (nothing skipped) where thr or step is
  ;; 0, below 2^-100 or not finite: offerTile then decides alone, as it always does for
  ;; the tiles let through, so the floor only has to be low enough, never exact.
  (func $floor8 (param $step f32) (result i32)
    (local $x f64)
    (if (i32.or
          (i32.or (f32.le (local.get $step) (f32.const 0x1p-100)) (f32.ge (local.get $step) (f32.const inf)))
          (i32.or (f32.le (f32.abs (global.get $thr)) (f32.const 0x1p-100)) (f32.ge (f32.abs (global.get $thr)) (f32.const inf))))
      (then (return (i32.const 0x80000000))))
    (local.set $x (f64.div (f64.promote_f32 (global.get $thr)) (f64.promote_f32 (local.get $step))))
    (i32.trunc_sat_f64_s
      (f64.floor (f64.sub (f64.sub (local.get $x) (f64.mul (f64.abs (local.get $x)) (f64.const 0x1p-20))) (f64.const 2)))))

  ;; One i8 matrix of $rows × $n items at $mat (packed-layout.ts: a tile's rows in quads,
  ;; each quad's 128 bytes interleaved per item as rows 4p, 4p+2, 4p+1, 4p+3, then the last
  ;; rows mod 4 as plain runs of 32; the quads' rows 4p+2 and 4p+3 held as q, every other
  ;; byte as u = q + 128), whose item 0 has position $start; $c: $rows i16 codes, |c| ≤ 127;
  ;; scores are $step · Σ c·q, the sum exact in i32 (see scan.wat's header). Plain SIMD:
  ;; both builds score alike.
  ;;
  ;; Why this shape: i32x4.dot_i16x8_s (pmaddwd) multiplies 8 i16 pairs, so 16 bytes need
  ;; two of them whatever the layout, and what remains is how the bytes become i16 lanes.
  ;; A lane of two bytes is h = u + 256·q' (u: row 4p or 4p+1, unsigned; q': row 4p+2 or
  ;; 4p+3, signed), exactly, as a signed i16. So dot(h, (c0, c1)) + dot(h >> 8 signed,
  ;; (c2 − 256·c0, c3 − 256·c1)) is Σ u·c_low + Σ q'·c_high: 5 vector instructions per 16
  ;; bytes (one shift, two dots, two adds), against 6 with an AND splitting unsigned bytes
  ;; (the previous layout) and 8 unpacking signed pairs (the one before). The second
  ;; coefficients fit an i16 because codes stay within ±127 (a rounding that cost nothing
  ;; measurable on Gowalla; bench/results.md). The offset costs nothing per item: the
  ;; sums start at −128·Σ c over the rows held offset.
  (func $scan8
    (param $mat i32) (param $rows i32) (param $c i32) (param $step f32) (param $n i32) (param $start i32) (param $tmp i32)
    (local $i i32) (local $end i32) (local $p i32) (local $q i32) (local $r i32) (local $x i32) (local $tail i32) (local $sum i32)
    (local $bias i32) (local $quads i32) (local $tab i32) (local $thr f32)
    (local $w01 v128) (local $w23 v128) (local $h v128) (local $start8 v128) (local $floor v128) (local $st v128) (local $s f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $end (i32.and (local.get $n) (i32.const -32)))
    (local.set $p (local.get $mat))
    (local.set $quads (i32.shr_u (local.get $rows) (i32.const 2)))
    (local.set $st (f32x4.splat (local.get $step)))
    ;; −128 · Σ c: no overflow, |Σ c| ≤ rows · Q < 2^31 / 128.
    (loop $codesum
      (local.set $bias (i32.add (local.get $bias) (i32.load16_s (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 1))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $codesum (i32.lt_u (local.get $r) (local.get $rows))))
    ;; Once per segment, each quad's coefficients as the tiles take them, at $tab (the coefficients' free upper
    ;; half: codes fill 2·rows of its 4·rows bytes): c[4p], c[4p+1], c[4p+2] − 256·c[4p], c[4p+3] − 256·c[4p+1].
    ;; The quads' rows 4p+2 and 4p+3 are held as q: no offset to take back for them in the tiles ($sum).
    (local.set $tab (i32.add (local.get $c) (i32.shl (local.get $rows) (i32.const 1))))
    (local.set $r (i32.const 0))
    (block $highs
      (loop $high
        (br_if $highs (i32.ge_u (local.get $r) (i32.shl (local.get $quads) (i32.const 2))))
        (local.set $q (i32.add (local.get $c) (i32.shl (local.get $r) (i32.const 1))))
        (local.set $x (i32.add (local.get $tab) (i32.shl (local.get $r) (i32.const 1))))
        (i32.store16 (local.get $x) (i32.load16_s (local.get $q)))
        (i32.store16 offset=2 (local.get $x) (i32.load16_s offset=2 (local.get $q)))
        (i32.store16 offset=4 (local.get $x)
          (i32.sub (i32.load16_s offset=4 (local.get $q)) (i32.shl (i32.load16_s (local.get $q)) (i32.const 8))))
        (i32.store16 offset=6 (local.get $x)
          (i32.sub (i32.load16_s offset=6 (local.get $q)) (i32.shl (i32.load16_s offset=2 (local.get $q)) (i32.const 8))))
        (local.set $sum (i32.add (local.get $sum)
          (i32.add (i32.load16_s offset=4 (local.get $q)) (i32.load16_s offset=6 (local.get $q)))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $high)))
    (local.set $start8 (i32x4.splat (i32.mul (i32.sub (local.get $bias) (local.get $sum)) (i32.const -128))))
    (local.set $bias (i32.mul (local.get $bias) (i32.const -128)))
    (local.set $thr (global.get $thr))
    (local.set $floor (i32x4.splat (call $floor8 (local.get $step))))
    (block $tiles
      (loop $tile
        (br_if $tiles (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $a0 (local.get $start8))
        (local.set $a1 (local.get $start8))
        (local.set $a2 (local.get $start8))
        (local.set $a3 (local.get $start8))
        (local.set $a4 (local.get $start8))
        (local.set $a5 (local.get $start8))
        (local.set $a6 (local.get $start8))
        (local.set $a7 (local.get $start8))
        (local.set $q (local.get $tab))
        (local.set $r (local.get $quads))
        (block $quadded
          (br_if $quadded (i32.eqz (local.get $r)))
          (loop $quad
            ;; (c[4p], c[4p+1]) and (c[4p+2] − 256·c[4p], c[4p+3] − 256·c[4p+1]) in every i32 lane; 16 bytes
            ;; are items 4j … 4j+3, four rows each
            (local.set $w01 (v128.load32_splat (local.get $q)))
            (local.set $w23 (v128.load32_splat offset=4 (local.get $q)))
            (local.set $h (v128.load offset=0 (local.get $p)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=16 (local.get $p)))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=32 (local.get $p)))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=48 (local.get $p)))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=64 (local.get $p)))
            (local.set $a4 (i32x4.add (local.get $a4) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=80 (local.get $p)))
            (local.set $a5 (i32x4.add (local.get $a5) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=96 (local.get $p)))
            (local.set $a6 (i32x4.add (local.get $a6) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $h (v128.load offset=112 (local.get $p)))
            (local.set $a7 (i32x4.add (local.get $a7) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $h) (local.get $w01))
              (i32x4.dot_i16x8_s (i16x8.shr_s (local.get $h) (i32.const 8)) (local.get $w23)))))
            (local.set $p (i32.add (local.get $p) (i32.const 128)))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br_if $quad (local.get $r))))
        ;; the last rows' codes follow the quads' in $c
        (local.set $q (i32.add (local.get $c) (i32.shl (local.get $quads) (i32.const 3))))
        (local.set $r (i32.and (local.get $rows) (i32.const 3)))
        (block $plain
          (br_if $plain (i32.eqz (local.get $r)))
          (loop $row
            ;; A last row: 32 items in order, each widened to an i32 lane, times (c, 0).
            (local.set $w01 (i32x4.splat (i32.load16_u (local.get $q))))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load offset=0 (local.get $p)))) (local.get $w01))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (i32x4.extend_high_i16x8_u (i16x8.extend_low_i8x16_u (v128.load offset=0 (local.get $p)))) (local.get $w01))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (i32x4.extend_low_i16x8_u (i16x8.extend_high_i8x16_u (v128.load offset=0 (local.get $p)))) (local.get $w01))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (i32x4.extend_high_i16x8_u (i16x8.extend_high_i8x16_u (v128.load offset=0 (local.get $p)))) (local.get $w01))))
            (local.set $a4 (i32x4.add (local.get $a4) (i32x4.dot_i16x8_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load offset=16 (local.get $p)))) (local.get $w01))))
            (local.set $a5 (i32x4.add (local.get $a5) (i32x4.dot_i16x8_s (i32x4.extend_high_i16x8_u (i16x8.extend_low_i8x16_u (v128.load offset=16 (local.get $p)))) (local.get $w01))))
            (local.set $a6 (i32x4.add (local.get $a6) (i32x4.dot_i16x8_s (i32x4.extend_low_i16x8_u (i16x8.extend_high_i8x16_u (v128.load offset=16 (local.get $p)))) (local.get $w01))))
            (local.set $a7 (i32x4.add (local.get $a7) (i32x4.dot_i16x8_s (i32x4.extend_high_i16x8_u (i16x8.extend_high_i8x16_u (v128.load offset=16 (local.get $p)))) (local.get $w01))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br_if $row (local.get $r))))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or (i32x4.gt_s (local.get $a0) (local.get $floor)) (i32x4.gt_s (local.get $a1) (local.get $floor)))
                  (v128.or (i32x4.gt_s (local.get $a2) (local.get $floor)) (i32x4.gt_s (local.get $a3) (local.get $floor))))
                (v128.or
                  (v128.or (i32x4.gt_s (local.get $a4) (local.get $floor)) (i32x4.gt_s (local.get $a5) (local.get $floor)))
                  (v128.or (i32x4.gt_s (local.get $a6) (local.get $floor)) (i32x4.gt_s (local.get $a7) (local.get $floor))))))
          (then
            ;; Integer sums to f32 scores, only for a tile that may hold an item of the top k.
            (v128.store offset=0 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a0)) (local.get $st)))
            (v128.store offset=16 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a1)) (local.get $st)))
            (v128.store offset=32 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a2)) (local.get $st)))
            (v128.store offset=48 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a3)) (local.get $st)))
            (v128.store offset=64 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a4)) (local.get $st)))
            (v128.store offset=80 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a5)) (local.get $st)))
            (v128.store offset=96 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a6)) (local.get $st)))
            (v128.store offset=112 (local.get $tmp) (f32x4.mul (f32x4.convert_i32x4_s (local.get $a7)) (local.get $st)))
            (call $offerTile (local.get $tmp) (i32.add (local.get $start) (local.get $i)))
            (if (f32.ne (global.get $thr) (local.get $thr))
              (then
                (local.set $thr (global.get $thr))
                (local.set $floor (i32x4.splat (call $floor8 (local.get $step))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $tile)))
    ;; The last n mod 32 items, dim-major [rows][tail] at $p, one at a time.
    (local.set $tail (i32.sub (local.get $n) (local.get $end)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $item
        (br_if $done (i32.ge_u (local.get $i) (local.get $tail)))
        (local.set $sum (local.get $bias))
        (local.set $q (local.get $c))
        (local.set $x (i32.add (local.get $p) (local.get $i)))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $sum (i32.add (local.get $sum) (i32.mul (i32.load16_s (local.get $q)) (i32.load8_u (local.get $x)))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (local.set $x (i32.add (local.get $x) (local.get $tail)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (local.set $s (f32.mul (f32.convert_i32_s (local.get $sum)) (local.get $step)))
        (if (f32.ge (local.get $s) (global.get $thr))
          (then (call $offer (local.get $s) (i32.add (i32.add (local.get $start) (local.get $end)) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $item))))
