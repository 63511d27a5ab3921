;; Fused score + top-k over the resident item matrices, in WASM SIMD.
;;
;; The matrices live in the memory of tfjs-backend-wasm (imported), so the
;; resident tensors are scored in place: no copy, no score array, no readback.
;; Each matrix is one item group in the packed layout of packed-layout.ts:
;; items in tiles of 32, each tile holding its `rows` rows of 32 values
;; contiguously (one sequential stream whatever the row count: one stream per
;; row of a dim-major matrix is more than the hardware prefetchers follow, 128
;; rows ran at 1/7 of the bandwidth), then the last n mod 32 items dim-major.
;;
;; For item i of a segment with coefficients u (per row: the user's dim times
;; the block's weight):  score(i) = Σ_r u[r] · x[r][i].
;; 32 items per step in 8 SIMD accumulators. The k best scores so far stay in
;; a heap in this memory, and its k-th best score is the running threshold: a
;; tile whose 32 scores are all below it costs one vector compare, and only
;; items that beat it are looked at one by one (excluded ones skipped through
;; a bitmap). One call (`run`) scores every segment: JS hands in the user
;; vector and reads k results; nothing else crosses the boundary, however
;; large the catalog.
;;
;; scan16 reads half-precision values (the bit patterns of the artifact's f16
;; files, little-endian) and widens them in registers: the half's sign-extended
;; bits shifted left by 13 and masked are the f32 whose value is the half's
;; times 2^-112 (exact for zeros, subnormals and normals; embeddings hold no
;; inf or NaN), so `run` folds 2^112 into their coefficients.
;;
;; scan8 reads int8 values q (the artifact's i8 files without their scale,
;; held as the bytes q + 128, or q: packed-layout.ts) and sums in integers: `run` folds each block's
;; scale into its rows' weights, rounds the segment's coefficients f[r] to i16
;; codes c[r] = round(f[r] / step) (ties away from zero) with one step
;; step = max |f[r]| / Q, and scores item i as step · Σ c[r]·q[r][i]: an exact
;; i32 sum, converted to f32 once. Q = min(127, floor((2^31 - 1) / (128 · rows)))
;; keeps that sum from overflowing whatever the bytes (even a -128, which writers
;; never emit), and each code within the i16 that scan8 combines two of into,
;; so the scores are exactly reproducible (src/i8-scores.ts). A
;; tile is compared with the k-th best score as integer sums (scan-i8.wat's
;; $floor8), so only tiles that may enter the top k are converted to f32.
;;
;; Touch-ahead (scan32 and scan16): each step of the inner loops also loads one
;; byte 1 KiB ahead of the bytes it scores and drops it (once per 64 bytes).
;; WebAssembly has no prefetch instruction, and the hardware prefetchers alone
;; did not run far enough ahead of this compute: from memory, a scan took about
;; its compute time plus the bandwidth bound's. The touch pointer is clamped
;; once per tile so that the tile's run of touches ends inside the matrix (it
;; never traps); clamping every load cost the cache-resident budgets 10-17 %.
;; From memory, at 1M items, f16 went from 1.44x to 1.30x the bound and the
;; old i8 scan from 1.54x to 1.38x (bench --only threads, cold, Intel Xeon).
;; scan8 has none since its integer-dot rewrite (issue 26): on an AMD EPYC
;; (Chromium 156, the kernel alone, 1M items) the touches made it 1.41x the
;; bound against 1.25x without.
;;
;; Items must be offered in increasing position (segments in order, each from
;; its first item): a score equal to the k-th best then never displaces it,
;; which is the tie order of topK (score descending, position ascending).
;;
;; `f32x4.relaxed_madd` (a·b + c, fused where the CPU has FMA) is the only
;; relaxed-SIMD instruction; scripts/build-kernel.ts also emits a plain-SIMD
;; build with each one expanded to f32x4.mul + f32x4.add.
(module
  (import "env" "memory" (memory 1))
  ;; heap: $k slots of (f32 score, i32 position); slot 0 is the worst held.
  (global $heap (mut i32) (i32.const 0))
  (global $k (mut i32) (i32.const 0))
  (global $size (export "size") (mut i32) (i32.const 0))
  ;; exclusion bitmap: bit p of the i32 words at $excl is set when position p is excluded
  (global $excl (mut i32) (i32.const 0))
  ;; the score an item must reach to be looked at: -inf until the heap is full, then its worst score
  (global $thr (mut f32) (f32.const -inf))

  ;; The top $k items of every segment for one user, into the heap at $heap
  ;; ($k slots of 8 bytes; the global `size` says how many are held).
  ;; $table: $segments records of 8 i32 (32 bytes), in increasing position order:
  ;;   mat, rows, n, start, dtype (0: f32, 1: f16, 2: i8), dims, weights, unused
  ;; where row r of the segment multiplies user dim i32 dims[r] by f32 weights[r].
  ;; $user: the user vector (f32); $scale: a power of two every coefficient is
  ;; multiplied by (1 unless the user vector is huge; the scores come out scaled
  ;; by it); $excl: the exclusion bitmap; $coef: scratch for the largest
  ;; segment's coefficients (f32; an i8 segment's i16 codes overwrite them);
  ;; $tmp: 128 bytes of scratch.
  (func (export "run")
    (param $table i32) (param $segments i32) (param $user i32) (param $scale f32)
    (param $heap i32) (param $k i32) (param $excl i32) (param $coef i32) (param $tmp i32)
    (local $rec i32) (local $end i32) (local $rows i32) (local $r i32) (local $dims i32) (local $weights i32) (local $factor f32) (local $dtype i32)
    (local $step f32)
    (global.set $heap (local.get $heap))
    (global.set $k (local.get $k))
    (global.set $excl (local.get $excl))
    (global.set $size (i32.const 0))
    (global.set $thr (select (f32.const -inf) (f32.const inf) (local.get $k)))
    (local.set $rec (local.get $table))
    (local.set $end (i32.add (local.get $table) (i32.shl (local.get $segments) (i32.const 5))))
    (block $done
      (loop $segment
        (br_if $done (i32.ge_u (local.get $rec) (local.get $end)))
        (local.set $rows (i32.load offset=4 (local.get $rec)))
        (local.set $dims (i32.load offset=20 (local.get $rec)))
        (local.set $weights (i32.load offset=24 (local.get $rec)))
        (local.set $dtype (i32.load offset=16 (local.get $rec)))
        ;; f16 values widen to the half times 2^-112 (see the top): their coefficients carry 2^112.
        (local.set $factor
          (select (f32.mul (local.get $scale) (f32.const 0x1p112)) (local.get $scale) (i32.eq (local.get $dtype) (i32.const 1))))
        (local.set $r (i32.const 0))
        (loop $coefs
          (f32.store (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2)))
            (f32.mul
              (f32.mul
                (f32.load (i32.add (local.get $weights) (i32.shl (local.get $r) (i32.const 2))))
                (f32.load (i32.add (local.get $user) (i32.shl (i32.load (i32.add (local.get $dims) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2)))))
              (local.get $factor)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $coefs (i32.lt_u (local.get $r) (local.get $rows))))
        (if (i32.eq (local.get $dtype) (i32.const 2))
          (then
            (local.set $step (call $codes (local.get $coef) (local.get $rows)))
            (call $scan8 (i32.load (local.get $rec)) (local.get $rows) (local.get $coef) (local.get $step) (i32.load offset=8 (local.get $rec)) (i32.load offset=12 (local.get $rec)) (local.get $tmp)))
          (else
            (if (local.get $dtype)
              (then (call $scan16 (i32.load (local.get $rec)) (local.get $rows) (local.get $coef) (i32.load offset=8 (local.get $rec)) (i32.load offset=12 (local.get $rec)) (local.get $tmp)))
              (else (call $scan32 (i32.load (local.get $rec)) (local.get $rows) (local.get $coef) (i32.load offset=8 (local.get $rec)) (i32.load offset=12 (local.get $rec)) (local.get $tmp))))))
        (local.set $rec (i32.add (local.get $rec) (i32.const 32)))
        (br $segment))))

  ;; Offers the item at position $p with score $s >= $thr (so not NaN), which
  ;; comes after every held item in position order.
  (func $offer (param $s f32) (param $p i32)
    (local $i i32) (local $l i32) (local $m i32) (local $a i32) (local $b i32)
    (if (i32.and
          (i32.load (i32.add (global.get $excl) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
          (i32.shl (i32.const 1) (local.get $p)))
      (then (return)))
    (if (i32.lt_u (global.get $size) (global.get $k))
      (then
        ;; Not full: append and sift up while the newcomer is worse than its parent
        ;; (a lower score, or an equal one: the newcomer's position is later).
        (local.set $i (global.get $size))
        (global.set $size (i32.add (global.get $size) (i32.const 1)))
        (block $placed
          (loop $up
            (br_if $placed (i32.eqz (local.get $i)))
            (local.set $m (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
            (local.set $a (i32.add (global.get $heap) (i32.shl (local.get $m) (i32.const 3))))
            (br_if $placed (f32.gt (local.get $s) (f32.load (local.get $a))))
            (i64.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $a)))
            (local.set $i (local.get $m))
            (br $up)))
        (local.set $a (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 3))))
        (f32.store (local.get $a) (local.get $s))
        (i32.store offset=4 (local.get $a) (local.get $p))
        (if (i32.eq (global.get $size) (global.get $k))
          (then (global.set $thr (f32.load (global.get $heap)))))
        (return)))
    ;; Full: only a strictly higher score than the worst enters (an equal one comes later).
    (if (i32.eqz (f32.gt (local.get $s) (f32.load (global.get $heap))))
      (then (return)))
    ;; Replace the worst and sift the newcomer down past every child worse than it.
    (local.set $i (i32.const 0))
    (block $placed
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $placed (i32.ge_u (local.get $l) (global.get $k)))
        (local.set $m (local.get $l))
        (local.set $a (i32.add (global.get $heap) (i32.shl (local.get $l) (i32.const 3))))
        (if (i32.lt_u (i32.add (local.get $l) (i32.const 1)) (global.get $k))
          (then
            (local.set $b (i32.add (local.get $a) (i32.const 8)))
            ;; the right child is the worse one: a lower score, or an equal score at a later position
            (if (i32.or
                  (f32.lt (f32.load (local.get $b)) (f32.load (local.get $a)))
                  (i32.and
                    (f32.eq (f32.load (local.get $b)) (f32.load (local.get $a)))
                    (i32.gt_u (i32.load offset=4 (local.get $b)) (i32.load offset=4 (local.get $a)))))
              (then
                (local.set $m (i32.add (local.get $l) (i32.const 1)))
                (local.set $a (local.get $b))))))
        ;; A child with an equal score has an earlier position, so it is the better one: stop.
        (br_if $placed (i32.eqz (f32.lt (f32.load (local.get $a)) (local.get $s))))
        (i64.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $a)))
        (local.set $i (local.get $m))
        (br $down)))
    (local.set $a (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 3))))
    (f32.store (local.get $a) (local.get $s))
    (i32.store offset=4 (local.get $a) (local.get $p))
    (global.set $thr (f32.load (global.get $heap))))

  ;; The 32 scores of a tile, stored at $tmp, offered one by one where they reach $thr.
  (func $offerTile (param $tmp i32) (param $first i32)
    (local $l i32) (local $s f32)
    (loop $lanes
      (local.set $s (f32.load (i32.add (local.get $tmp) (i32.shl (local.get $l) (i32.const 2)))))
      (if (f32.ge (local.get $s) (global.get $thr))
        (then (call $offer (local.get $s) (i32.add (local.get $first) (local.get $l)))))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br_if $lanes (i32.lt_u (local.get $l) (i32.const 32)))))

  ;; One f32 matrix of $rows × $n items at $mat, whose item 0 has position $start.
  ;; $u: $rows f32 coefficients; $tmp: 128 bytes of scratch.
  (func $scan32
    (param $mat i32) (param $rows i32) (param $u i32) (param $n i32) (param $start i32) (param $tmp i32)
    (local $i i32) (local $end i32) (local $p i32) (local $q i32) (local $r i32) (local $x i32) (local $tail i32)
    (local $w v128) (local $t v128) (local $s f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $lim i32) (local $ah i32)
    ;; The last address a tile's touch-ahead run may start at: it then ends with the matrix.
    (local.set $lim (i32.add (local.get $mat) (i32.sub (i32.shl (i32.mul (local.get $rows) (local.get $n)) (i32.const 2)) (i32.shl (local.get $rows) (i32.const 7)))))
    (local.set $end (i32.and (local.get $n) (i32.const -32)))
    (local.set $p (local.get $mat))
    (local.set $t (f32x4.splat (global.get $thr)))
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
        (local.set $q (local.get $u))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $w (v128.load32_splat (local.get $q)))
          (local.set $a0 (f32x4.relaxed_madd (local.get $w) (v128.load offset=0 (local.get $p)) (local.get $a0)))
          (local.set $a1 (f32x4.relaxed_madd (local.get $w) (v128.load offset=16 (local.get $p)) (local.get $a1)))
          (local.set $a2 (f32x4.relaxed_madd (local.get $w) (v128.load offset=32 (local.get $p)) (local.get $a2)))
          (local.set $a3 (f32x4.relaxed_madd (local.get $w) (v128.load offset=48 (local.get $p)) (local.get $a3)))
          (local.set $a4 (f32x4.relaxed_madd (local.get $w) (v128.load offset=64 (local.get $p)) (local.get $a4)))
          (local.set $a5 (f32x4.relaxed_madd (local.get $w) (v128.load offset=80 (local.get $p)) (local.get $a5)))
          (local.set $a6 (f32x4.relaxed_madd (local.get $w) (v128.load offset=96 (local.get $p)) (local.get $a6)))
          (local.set $a7 (f32x4.relaxed_madd (local.get $w) (v128.load offset=112 (local.get $p)) (local.get $a7)))
          (drop (i32.load8_u (local.get $ah)))
          (drop (i32.load8_u offset=64 (local.get $ah)))
          (local.set $ah (i32.add (local.get $ah) (i32.const 128)))
          (local.set $p (i32.add (local.get $p) (i32.const 128)))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or (f32x4.ge (local.get $a0) (local.get $t)) (f32x4.ge (local.get $a1) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a2) (local.get $t)) (f32x4.ge (local.get $a3) (local.get $t))))
                (v128.or
                  (v128.or (f32x4.ge (local.get $a4) (local.get $t)) (f32x4.ge (local.get $a5) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a6) (local.get $t)) (f32x4.ge (local.get $a7) (local.get $t))))))
          (then
            ;; Rare once the heap is full: some item of this tile may enter it.
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
        (local.set $s (f32.const 0))
        (local.set $q (local.get $u))
        (local.set $x (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $q)) (f32.load (local.get $x)))))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $x (i32.add (local.get $x) (i32.shl (local.get $tail) (i32.const 2))))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (if (f32.ge (local.get $s) (global.get $thr))
          (then (call $offer (local.get $s) (i32.add (i32.add (local.get $start) (local.get $end)) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $item))))

  ;; scan32 over half-precision values (2 bytes each, same layout); the
  ;; coefficients carry the factor 2^112 (see the top).
  (func $scan16
    (param $mat i32) (param $rows i32) (param $u i32) (param $n i32) (param $start i32) (param $tmp i32)
    (local $i i32) (local $end i32) (local $p i32) (local $q i32) (local $r i32) (local $x i32) (local $tail i32)
    (local $w v128) (local $t v128) (local $h v128) (local $even v128) (local $odd v128) (local $mask v128) (local $s f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $lim i32) (local $ah i32)
    ;; The last address a tile's touch-ahead run may start at: it then ends with the matrix.
    (local.set $lim (i32.add (local.get $mat) (i32.sub (i32.shl (i32.mul (local.get $rows) (local.get $n)) (i32.const 1)) (i32.shl (local.get $rows) (i32.const 6)))))
    (local.set $end (i32.and (local.get $n) (i32.const -32)))
    (local.set $p (local.get $mat))
    (local.set $t (f32x4.splat (global.get $thr)))
    ;; Widening 8 halves (items 0, 4, 1, 5, 2, 6, 3, 7 of a run of 8, see packed-layout.ts): i32x4.dot_i16x8_s
    ;; with (2^13, 0) pairs gives the even halves sign-extended and shifted left by 13 (items 0–3), with
    ;; (0, 2^13) the odd ones (items 4–7); the mask keeps the sign and the 15 magnitude bits and clears the
    ;; sign's copies above the exponent. (No shuffle or shift port: ~15 % faster than load16x4_s + shl.)
    (local.set $even (v128.const i16x8 8192 0 8192 0 8192 0 8192 0))
    (local.set $odd (v128.const i16x8 0 8192 0 8192 0 8192 0 8192))
    (local.set $mask (v128.const i32x4 0x8fffe000 0x8fffe000 0x8fffe000 0x8fffe000))
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
        (local.set $q (local.get $u))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $w (v128.load32_splat (local.get $q)))
          (local.set $h (v128.load offset=0 (local.get $p)))
          (local.set $a0 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $even)) (local.get $mask)) (local.get $a0)))
          (local.set $a1 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $odd)) (local.get $mask)) (local.get $a1)))
          (local.set $h (v128.load offset=16 (local.get $p)))
          (local.set $a2 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $even)) (local.get $mask)) (local.get $a2)))
          (local.set $a3 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $odd)) (local.get $mask)) (local.get $a3)))
          (local.set $h (v128.load offset=32 (local.get $p)))
          (local.set $a4 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $even)) (local.get $mask)) (local.get $a4)))
          (local.set $a5 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $odd)) (local.get $mask)) (local.get $a5)))
          (local.set $h (v128.load offset=48 (local.get $p)))
          (local.set $a6 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $even)) (local.get $mask)) (local.get $a6)))
          (local.set $a7 (f32x4.relaxed_madd (local.get $w) (v128.and (i32x4.dot_i16x8_s (local.get $h) (local.get $odd)) (local.get $mask)) (local.get $a7)))
          (drop (i32.load8_u (local.get $ah)))
          (local.set $ah (i32.add (local.get $ah) (i32.const 64)))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
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
    (local.set $tail (i32.sub (local.get $n) (local.get $end)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $item
        (br_if $done (i32.ge_u (local.get $i) (local.get $tail)))
        (local.set $s (f32.const 0))
        (local.set $q (local.get $u))
        (local.set $x (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1))))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $s
            (f32.add (local.get $s)
              (f32.mul (f32.load (local.get $q))
                (f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s (local.get $x)) (i32.const 13)) (i32.const 0x8fffe000))))))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $x (i32.add (local.get $x) (i32.shl (local.get $tail) (i32.const 1))))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (if (f32.ge (local.get $s) (global.get $thr))
          (then (call $offer (local.get $s) (i32.add (i32.add (local.get $start) (local.get $end)) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $item))))

  ;; The i8 path ($codes, $scan8) lives in scan-i8.wat; scripts/build-kernel.ts splices it in here.
  ;; #include scan-i8.wat

  ;; The sparse table kind's CSR scan (`sparse`) lives in sparse.wat, spliced in here the same way.
  ;; #include sparse.wat
)
