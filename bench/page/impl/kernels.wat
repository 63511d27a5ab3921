;; Hand-written WASM SIMD kernels for the benchmark page.
;;  - sum: streams n bytes once (4 independent accumulators so the adds never
;;    stall the loads): the memory-bandwidth bound of scoring those bytes.
;;  - rows: the fused scoring prototype. For the dim-major matrix of one item
;;    group ([rows][n] f32) and one coefficient per row (weight × user dim),
;;    scores[i] += Σ_r coef[r] · m[r][i], four rows per pass over the scores
;;    so the scores are read and written rows/4 times, the matrix once.
(module
  (memory (export "memory") 1)

  (func (export "sum") (param $p i32) (param $n i32) (result f32)
    (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (f32x4.add (local.get $a) (v128.load offset=0 (local.get $p))))
        (local.set $b (f32x4.add (local.get $b) (v128.load offset=16 (local.get $p))))
        (local.set $c (f32x4.add (local.get $c) (v128.load offset=32 (local.get $p))))
        (local.set $d (f32x4.add (local.get $d) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $next)))
    (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; scores: n f32; m: rows × n f32 (rows a multiple of 4); coef: rows f32.
  ;; When $init is 1 the first pass overwrites the scores instead of adding.
  (func (export "rows") (param $s i32) (param $m i32) (param $n i32) (param $rows i32) (param $coef i32) (param $init i32)
    (local $r i32) (local $i i32) (local $stride i32) (local $vecEnd i32) (local $end i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $acc v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vecEnd (i32.and (local.get $stride) (i32.const -16)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c0 (f32x4.splat (f32.load offset=0 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $c1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $c2 (f32x4.splat (f32.load offset=8 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $c3 (f32x4.splat (f32.load offset=12 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $p0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $stride)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $stride)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $stride)))
        (local.set $i (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
            (local.set $acc
              (f32x4.add
                (f32x4.add (f32x4.mul (local.get $c0) (v128.load (i32.add (local.get $p0) (local.get $i))))
                           (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p1) (local.get $i)))))
                (f32x4.add (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p2) (local.get $i))))
                           (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p3) (local.get $i)))))))
            (if (i32.eqz (local.get $init))
              (then (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $s) (local.get $i)))))))
            (v128.store (i32.add (local.get $s) (local.get $i)) (local.get $acc))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vec)))
        ;; scalar tail (n not a multiple of 4)
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $i) (local.get $stride)))
            (f32.store (i32.add (local.get $s) (local.get $i))
              (f32.add
                (select (f32.const 0) (f32.load (i32.add (local.get $s) (local.get $i))) (local.get $init))
                (f32.add
                  (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c0)) (f32.load (i32.add (local.get $p0) (local.get $i))))
                           (f32.mul (f32x4.extract_lane 0 (local.get $c1)) (f32.load (i32.add (local.get $p1) (local.get $i)))))
                  (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c2)) (f32.load (i32.add (local.get $p2) (local.get $i))))
                           (f32.mul (f32x4.extract_lane 0 (local.get $c3)) (f32.load (i32.add (local.get $p3) (local.get $i))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $tail)))
        (local.set $init (i32.const 0))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rowLoop))))

  ;; The fused prototype with top-k filtering: scores one item group tile by
  ;; tile (TILE items, so the partial sums stay in L1) and, instead of writing
  ;; every score out, appends (index i32, score f32) to $cand only for scores
  ;; above $thr (the caller's current k-th best). Returns the number appended.
  ;; m: rows × n f32 (rows a multiple of 4); coef: rows f32; scratch: TILE f32.
  (func (export "fused") (param $m i32) (param $n i32) (param $rows i32) (param $coef i32) (param $scratch i32) (param $thr f32) (param $cand i32) (result i32)
    (local $t i32) (local $len i32) (local $lenBytes i32) (local $vecEnd i32) (local $stride i32)
    (local $r i32) (local $i i32) (local $j i32) (local $count i32) (local $s f32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $acc v128) (local $thrv v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $thrv (f32x4.splat (local.get $thr)))
    (block $tilesDone
      (loop $tile
        (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $len (i32.sub (local.get $n) (local.get $t)))
        (if (i32.gt_u (local.get $len) (i32.const 1024)) (then (local.set $len (i32.const 1024))))
        (local.set $lenBytes (i32.shl (local.get $len) (i32.const 2)))
        (local.set $vecEnd (i32.and (local.get $lenBytes) (i32.const -16)))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $c0 (f32x4.splat (f32.load offset=0 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c2 (f32x4.splat (f32.load offset=8 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c3 (f32x4.splat (f32.load offset=12 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $p0 (i32.add (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $stride))) (i32.shl (local.get $t) (i32.const 2))))
            (local.set $p1 (i32.add (local.get $p0) (local.get $stride)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $stride)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $stride)))
            (local.set $i (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
                (local.set $acc
                  (f32x4.add
                    (f32x4.add (f32x4.mul (local.get $c0) (v128.load (i32.add (local.get $p0) (local.get $i))))
                               (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p1) (local.get $i)))))
                    (f32x4.add (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p2) (local.get $i))))
                               (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p3) (local.get $i)))))))
                (if (local.get $r)
                  (then (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $scratch) (local.get $i)))))))
                (v128.store (i32.add (local.get $scratch) (local.get $i)) (local.get $acc))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $vec)))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $i) (local.get $lenBytes)))
                (f32.store (i32.add (local.get $scratch) (local.get $i))
                  (f32.add
                    (select (f32.load (i32.add (local.get $scratch) (local.get $i))) (f32.const 0) (local.get $r))
                    (f32.add
                      (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c0)) (f32.load (i32.add (local.get $p0) (local.get $i))))
                               (f32.mul (f32x4.extract_lane 0 (local.get $c1)) (f32.load (i32.add (local.get $p1) (local.get $i)))))
                      (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c2)) (f32.load (i32.add (local.get $p2) (local.get $i))))
                               (f32.mul (f32x4.extract_lane 0 (local.get $c3)) (f32.load (i32.add (local.get $p3) (local.get $i))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $tail)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $rowLoop)))
        ;; keep only what beats the threshold (any lane first, so the common case is one compare per 4 items)
        (local.set $i (i32.const 0))
        (block $filterDone
          (loop $filter
            (br_if $filterDone (i32.ge_u (local.get $i) (local.get $lenBytes)))
            (if (i32.or
                  (i32.ge_u (local.get $i) (local.get $vecEnd))
                  (v128.any_true (f32x4.gt (v128.load (i32.add (local.get $scratch) (local.get $i))) (local.get $thrv))))
              (then
                (local.set $j (i32.const 0))
                (block $lanesDone
                  (loop $lanes
                    (br_if $lanesDone (i32.or (i32.ge_u (local.get $j) (i32.const 16))
                                              (i32.ge_u (i32.add (local.get $i) (local.get $j)) (local.get $lenBytes))))
                    (local.set $s (f32.load (i32.add (local.get $scratch) (i32.add (local.get $i) (local.get $j)))))
                    (if (f32.gt (local.get $s) (local.get $thr))
                      (then
                        (i32.store (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 3)))
                          (i32.add (local.get $t) (i32.shr_u (i32.add (local.get $i) (local.get $j)) (i32.const 2))))
                        (f32.store offset=4 (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 3))) (local.get $s))
                        (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $lanes)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $filter)))
        (local.set $t (i32.add (local.get $t) (i32.const 1024)))
        (br $tile)))
    (local.get $count))

  ;; fused16: the same as fused over half-precision payloads (the artifact's
  ;; f16 files, little-endian), widened in registers: half the bytes streamed.
  ;; Widening: magnitude bits << 13 read as f32, times 2^112, then the sign;
  ;; exact for normal, subnormal and zero halves (not for inf/NaN, which
  ;; embeddings do not hold).
  ;; Otherwise as fused: scores one item group tile by
  ;; tile (TILE items, so the partial sums stay in L1) and, instead of writing
  ;; every score out, appends (index i32, score f32) to $cand only for scores
  ;; above $thr (the caller's current k-th best). Returns the number appended.
  ;; m: rows × n f16 (rows a multiple of 4); coef: rows f32; scratch: TILE f32.
  (func (export "fused16") (param $m i32) (param $n i32) (param $rows i32) (param $coef i32) (param $scratch i32) (param $thr f32) (param $cand i32) (result i32)
    (local $h v128)
    (local $t i32) (local $len i32) (local $lenBytes i32) (local $vecEnd i32) (local $stride i32)
    (local $r i32) (local $i i32) (local $j i32) (local $count i32) (local $s f32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $acc v128) (local $thrv v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 1)))
    (local.set $thrv (f32x4.splat (local.get $thr)))
    (block $tilesDone
      (loop $tile
        (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $len (i32.sub (local.get $n) (local.get $t)))
        (if (i32.gt_u (local.get $len) (i32.const 1024)) (then (local.set $len (i32.const 1024))))
        (local.set $lenBytes (i32.shl (local.get $len) (i32.const 2)))
        (local.set $vecEnd (i32.and (local.get $lenBytes) (i32.const -16)))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $c0 (f32x4.splat (f32.load offset=0 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c2 (f32x4.splat (f32.load offset=8 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $c3 (f32x4.splat (f32.load offset=12 (i32.add (local.get $coef) (i32.shl (local.get $r) (i32.const 2))))))
            (local.set $p0 (i32.add (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $stride))) (i32.shl (local.get $t) (i32.const 1))))
            (local.set $p1 (i32.add (local.get $p0) (local.get $stride)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $stride)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $stride)))
            (local.set $i (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
                (local.set $acc
                  (f32x4.add
                    (f32x4.add (f32x4.mul (local.get $c0) (block (result v128) (local.set $h (v128.load16x4_u (i32.add (local.get $p0) (i32.shr_u (local.get $i) (i32.const 1))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16)))))
                               (f32x4.mul (local.get $c1) (block (result v128) (local.set $h (v128.load16x4_u (i32.add (local.get $p1) (i32.shr_u (local.get $i) (i32.const 1))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))))
                    (f32x4.add (f32x4.mul (local.get $c2) (block (result v128) (local.set $h (v128.load16x4_u (i32.add (local.get $p2) (i32.shr_u (local.get $i) (i32.const 1))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16)))))
                               (f32x4.mul (local.get $c3) (block (result v128) (local.set $h (v128.load16x4_u (i32.add (local.get $p3) (i32.shr_u (local.get $i) (i32.const 1))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))))))
                (if (local.get $r)
                  (then (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $scratch) (local.get $i)))))))
                (v128.store (i32.add (local.get $scratch) (local.get $i)) (local.get $acc))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $vec)))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $i) (local.get $lenBytes)))
                (f32.store (i32.add (local.get $scratch) (local.get $i))
                  (f32.add
                    (select (f32.load (i32.add (local.get $scratch) (local.get $i))) (f32.const 0) (local.get $r))
                    (f32.add
                      (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c0)) (f32x4.extract_lane 0 (block (result v128) (local.set $h (i32x4.splat (i32.load16_u (i32.add (local.get $p0) (i32.shr_u (local.get $i) (i32.const 1)))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))))
                               (f32.mul (f32x4.extract_lane 0 (local.get $c1)) (f32x4.extract_lane 0 (block (result v128) (local.set $h (i32x4.splat (i32.load16_u (i32.add (local.get $p1) (i32.shr_u (local.get $i) (i32.const 1)))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16)))))))
                      (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $c2)) (f32x4.extract_lane 0 (block (result v128) (local.set $h (i32x4.splat (i32.load16_u (i32.add (local.get $p2) (i32.shr_u (local.get $i) (i32.const 1)))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))))
                               (f32.mul (f32x4.extract_lane 0 (local.get $c3)) (f32x4.extract_lane 0 (block (result v128) (local.set $h (i32x4.splat (i32.load16_u (i32.add (local.get $p3) (i32.shr_u (local.get $i) (i32.const 1)))))) (v128.or (f32x4.mul (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x7fff))) (i32.const 13)) (f32x4.splat (f32.const 0x1p112))) (i32x4.shl (v128.and (local.get $h) (i32x4.splat (i32.const 0x8000))) (i32.const 16))))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $tail)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $rowLoop)))
        ;; keep only what beats the threshold (any lane first, so the common case is one compare per 4 items)
        (local.set $i (i32.const 0))
        (block $filterDone
          (loop $filter
            (br_if $filterDone (i32.ge_u (local.get $i) (local.get $lenBytes)))
            (if (i32.or
                  (i32.ge_u (local.get $i) (local.get $vecEnd))
                  (v128.any_true (f32x4.gt (v128.load (i32.add (local.get $scratch) (local.get $i))) (local.get $thrv))))
              (then
                (local.set $j (i32.const 0))
                (block $lanesDone
                  (loop $lanes
                    (br_if $lanesDone (i32.or (i32.ge_u (local.get $j) (i32.const 16))
                                              (i32.ge_u (i32.add (local.get $i) (local.get $j)) (local.get $lenBytes))))
                    (local.set $s (f32.load (i32.add (local.get $scratch) (i32.add (local.get $i) (local.get $j)))))
                    (if (f32.gt (local.get $s) (local.get $thr))
                      (then
                        (i32.store (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 3)))
                          (i32.add (local.get $t) (i32.shr_u (i32.add (local.get $i) (local.get $j)) (i32.const 2))))
                        (f32.store offset=4 (i32.add (local.get $cand) (i32.shl (local.get $count) (i32.const 3))) (local.get $s))
                        (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $lanes)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $filter)))
        (local.set $t (i32.add (local.get $t) (i32.const 1024)))
        (br $tile)))
    (local.get $count))
)
