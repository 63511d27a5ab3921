;; peelrec trainer kernels, WebAssembly SIMD (128-bit), assembled by src/kernels/gemm-module.ts with wabt.
;; Exports: gemm (below), softmax_rows, adam_rows, gather_unit_rows, row_dots, pair_grads, unit_backward
;; (the row-wise steps of the sampled-softmax trainer, documented at each function).
;;
;; gemm: single-precision matrix product
;;
;;   C[i][j] (+)= sum_p A(i,p) * B[p][j]        0 <= i < m, 0 <= j < n, 0 <= p < k
;;
;; A is addressed through two element strides, A(i,p) = f32 at a + 4*(i*sai + p*sap), so the same
;; kernel computes A*B (sai = lda, sap = 1) and A^T*B (sai = 1, sap = lda). B and C are row-major with
;; leading dimensions ldb and ldc (in elements). All pointers are byte offsets into the imported
;; (shared) memory, which every worker thread instantiates against.
;;
;; Requirements (checked by the TypeScript wrapper): n % 8 == 0; no alignment is required.
;; acc = 0 overwrites C, acc = 1 adds to it.
;;
;; The register block is 4 rows x 8 columns: 8 f32x4 accumulators, 2 B vectors and one broadcast stay
;; in the 16 SIMD registers V8 has on x86-64, so the inner loop does no spills. Baseline SIMD has no
;; fused multiply-add, so each step is a mul and an add.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func $gemm (export "gemm")
    (param $a i32) (param $sai i32) (param $sap i32)
    (param $b i32) (param $ldb i32)
    (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $p i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32) (local $pc i32)
    (local $sapB i32) (local $ldbB i32) (local $ldcB i32) (local $saiB i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $sapB (i32.shl (local.get $sap) (i32.const 2)))
    (local.set $saiB (i32.shl (local.get $sai) (i32.const 2)))
    (local.set $ldbB (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $ldcB (i32.shl (local.get $ldc) (i32.const 2)))

    ;; ---- full 4-row panels ----
    (local.set $i (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $saiB))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $saiB)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $saiB)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $saiB)))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $k_done
              (loop $kl
                (br_if $k_done (i32.le_s (local.get $p) (i32.const 0)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa0))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (local.get $pa1))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (local.get $pa2))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (local.get $pa3))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $pa0 (i32.add (local.get $pa0) (local.get $sapB)))
                (local.set $pa1 (i32.add (local.get $pa1) (local.get $sapB)))
                (local.set $pa2 (i32.add (local.get $pa2) (local.get $sapB)))
                (local.set $pa3 (i32.add (local.get $pa3) (local.get $sapB)))
                (local.set $pb (i32.add (local.get $pb) (local.get $ldbB)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $kl)))
            ;; store (or accumulate) the 4x8 tile
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $ldcB)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (local.get $acc)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldcB)))
            (if (local.get $acc)
              (then
                (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $pc))))
                (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldcB)))
            (if (local.get $acc)
              (then
                (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $pc))))
                (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldcB)))
            (if (local.get $acc)
              (then
                (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $pc))))
                (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))

    ;; ---- leftover rows (m % 4), one row x 8 columns at a time ----
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_s (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $tcols_done
          (loop $tcols
            (br_if $tcols_done (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $saiB))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $tk_done
              (loop $tk
                (br_if $tk_done (i32.le_s (local.get $p) (i32.const 0)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa0))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
                (local.set $pa0 (i32.add (local.get $pa0) (local.get $sapB)))
                (local.set $pb (i32.add (local.get $pb) (local.get $ldbB)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $tk)))
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $ldcB)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (local.get $acc)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $tcols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
  )

  ;; ---- exp on four lanes (Cephes expf polynomial; relative error ~2e-7 on [-87, 88]) ----
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.0))) (f32x4.splat (f32.const 88.0))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r))
                             (f32x4.splat (f32.const 1.0))))
    ;; scale by 2^n through the exponent bits
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  ;; Sampled-softmax rows. For each row r of L (rows × n, n % 4 == 0) holding raw negative scores s_j and
  ;; pos[r] holding the positive score: logits l_j = s_j*invTau + shift, l_+ = pos*invTau. Writes
  ;; L[r][j] = gscale * softmax_j, gpos[r] = gscale * (softmax_+ - 1), and stat[2r] = max, stat[2r+1] = sum
  ;; of exp(l - max) (the caller takes the log for the loss).
  (func (export "softmax_rows")
    (param $L i32) (param $rows i32) (param $n i32) (param $pos i32)
    (param $invTau f32) (param $shift f32) (param $gscale f32) (param $gpos i32) (param $stat i32)
    (local $r i32) (local $q i32) (local $end i32) (local $mx v128) (local $m f32) (local $sum v128)
    (local $e v128) (local $s f32) (local $lp f32) (local $ep f32) (local $f v128)
    (local.set $r (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $end (i32.add (local.get $L) (i32.shl (local.get $n) (i32.const 2))))
        ;; pass 1: logits and their max
        (local.set $lp (f32.mul (f32.load (i32.add (local.get $pos) (i32.shl (local.get $r) (i32.const 2)))) (local.get $invTau)))
        (local.set $mx (f32x4.splat (local.get $lp)))
        (local.set $q (local.get $L))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $q) (local.get $end)))
          (local.set $e (f32x4.add (f32x4.mul (v128.load (local.get $q)) (f32x4.splat (local.get $invTau))) (f32x4.splat (local.get $shift))))
          (v128.store (local.get $q) (local.get $e))
          (local.set $mx (f32x4.max (local.get $mx) (local.get $e)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $l1)))
        (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
                               (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
        (local.set $mx (f32x4.splat (local.get $m)))
        ;; pass 2: exp(l - max) and the sum
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $L))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $q) (local.get $end)))
          (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $q)) (local.get $mx))))
          (v128.store (local.get $q) (local.get $e))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $l2)))
        (local.set $ep (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (f32.sub (local.get $lp) (local.get $m))))))
        (local.set $s (f32.add (local.get $ep)
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
                   (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum))))))
        ;; pass 3: scale into gradients
        (local.set $f (f32x4.splat (f32.div (local.get $gscale) (local.get $s))))
        (local.set $q (local.get $L))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $q) (local.get $end)))
          (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $f)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $l3)))
        (f32.store (i32.add (local.get $gpos) (i32.shl (local.get $r) (i32.const 2)))
          (f32.mul (local.get $gscale) (f32.sub (f32.div (local.get $ep) (local.get $s)) (f32.const 1.0))))
        (f32.store (i32.add (local.get $stat) (i32.shl (local.get $r) (i32.const 3))) (local.get $m))
        (f32.store offset=4 (i32.add (local.get $stat) (i32.shl (local.get $r) (i32.const 3))) (local.get $s))
        (local.set $L (local.get $end))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Lazy Adam on selected rows: for s < count, row = rows[s] (i32), gradient G[s] (d floats, d % 4 == 0):
  ;;   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  W -= a · m / (sqrt(v · ib2) + eps)
  ;; with a = lr / (1 - b1^t) and ib2 = 1 / (1 - b2^t) precomputed by the caller.
  (func (export "adam_rows")
    (param $W i32) (param $M i32) (param $V i32) (param $G i32) (param $rows i32) (param $count i32) (param $d i32)
    (param $b1 f32) (param $b2 f32) (param $a f32) (param $ib2 f32) (param $eps f32)
    (local $s i32) (local $off i32) (local $p i32) (local $end i32) (local $g v128) (local $m v128) (local $v v128)
    (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $va v128) (local $vib2 v128) (local $veps v128)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vc1 (f32x4.splat (f32.sub (f32.const 1.0) (local.get $b1))))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vc2 (f32x4.splat (f32.sub (f32.const 1.0) (local.get $b2))))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vib2 (f32x4.splat (local.get $ib2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $s (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.ge_s (local.get $s) (local.get $count)))
        (local.set $off (i32.shl (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $s) (i32.const 2)))) (local.get $d)) (i32.const 2)))
        (local.set $p (i32.const 0))
        (local.set $end (i32.shl (local.get $d) (i32.const 2)))
        (block $rd (loop $el
          (br_if $rd (i32.ge_s (local.get $p) (local.get $end)))
          (local.set $g (v128.load (i32.add (local.get $G) (local.get $p))))
          (local.set $m (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $M) (i32.add (local.get $off) (local.get $p)))))
                                   (f32x4.mul (local.get $vc1) (local.get $g))))
          (local.set $v (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $V) (i32.add (local.get $off) (local.get $p)))))
                                   (f32x4.mul (local.get $vc2) (f32x4.mul (local.get $g) (local.get $g)))))
          (v128.store (i32.add (local.get $M) (i32.add (local.get $off) (local.get $p))) (local.get $m))
          (v128.store (i32.add (local.get $V) (i32.add (local.get $off) (local.get $p))) (local.get $v))
          (v128.store (i32.add (local.get $W) (i32.add (local.get $off) (local.get $p)))
            (f32x4.sub (v128.load (i32.add (local.get $W) (i32.add (local.get $off) (local.get $p))))
              (f32x4.div (f32x4.mul (local.get $va) (local.get $m))
                         (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $v) (local.get $vib2))) (local.get $veps)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $el)))
        (local.set $G (i32.add (local.get $G) (local.get $end)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $row))))

  ;; Horizontal sum of four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; dot of two d-vectors (d % 4 == 0)
  (func $dot (param $x i32) (param $y i32) (param $d i32) (result f32)
    (local $end i32) (local $acc v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; dst[s] = table[idx[s]] / ‖table[idx[s]]‖ and norms[s] = ‖table[idx[s]]‖ for s < count (idx: u32).
  (func (export "gather_unit_rows")
    (param $table i32) (param $idx i32) (param $count i32) (param $d i32) (param $dst i32) (param $norms i32)
    (local $s i32) (local $src i32) (local $p i32) (local $bytes i32) (local $n f32) (local $inv v128)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_s (local.get $s) (local.get $count)))
      (local.set $src (i32.add (local.get $table)
        (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $s) (i32.const 2)))) (local.get $bytes))))
      (local.set $n (f32.sqrt (call $dot (local.get $src) (local.get $src) (local.get $d))))
      (if (f32.eq (local.get $n) (f32.const 0)) (then (local.set $n (f32.const 1e-12))))
      (f32.store (i32.add (local.get $norms) (i32.shl (local.get $s) (i32.const 2))) (local.get $n))
      (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $n))))
      (local.set $p (i32.const 0))
      (block $rd (loop $el
        (br_if $rd (i32.ge_s (local.get $p) (local.get $bytes)))
        (v128.store (i32.add (local.get $dst) (local.get $p))
          (f32x4.mul (v128.load (i32.add (local.get $src) (local.get $p))) (local.get $inv)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $el)))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $row))))

  ;; out[r] = x[r]·y[r] for r < rows (x, y: rows × d).
  (func (export "row_dots") (param $x i32) (param $y i32) (param $rows i32) (param $d i32) (param $out i32)
    (local $r i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
        (call $dot (local.get $x) (local.get $y) (local.get $d)))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Gradients of the positive pair: dx[r] += g[r]·y[r]; dy[r] = g[r]·x[r].
  (func (export "pair_grads") (param $x i32) (param $y i32) (param $g i32) (param $rows i32) (param $d i32) (param $dx i32) (param $dy i32)
    (local $r i32) (local $p i32) (local $bytes i32) (local $gv v128)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $gv (v128.load32_splat (i32.add (local.get $g) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $p (i32.const 0))
      (block $rd (loop $el
        (br_if $rd (i32.ge_s (local.get $p) (local.get $bytes)))
        (v128.store (i32.add (local.get $dx) (local.get $p))
          (f32x4.add (v128.load (i32.add (local.get $dx) (local.get $p)))
                     (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $y) (local.get $p))))))
        (v128.store (i32.add (local.get $dy) (local.get $p))
          (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $x) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $el)))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Back through x̂ = x/‖x‖: out[r] = (dx̂[r] − x̂[r]·(x̂[r]·dx̂[r])) / norms[r].
  (func (export "unit_backward") (param $xh i32) (param $dxh i32) (param $norms i32) (param $rows i32) (param $d i32) (param $out i32)
    (local $r i32) (local $p i32) (local $bytes i32) (local $a v128) (local $inv v128)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $a (f32x4.splat (call $dot (local.get $xh) (local.get $dxh) (local.get $d))))
      (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.load (i32.add (local.get $norms) (i32.shl (local.get $r) (i32.const 2)))))))
      (local.set $p (i32.const 0))
      (block $rd (loop $el
        (br_if $rd (i32.ge_s (local.get $p) (local.get $bytes)))
        (v128.store (i32.add (local.get $out) (local.get $p))
          (f32x4.mul (local.get $inv)
            (f32x4.sub (v128.load (i32.add (local.get $dxh) (local.get $p)))
                       (f32x4.mul (local.get $a) (v128.load (i32.add (local.get $xh) (local.get $p)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $el)))
      (local.set $xh (i32.add (local.get $xh) (local.get $bytes)))
      (local.set $dxh (i32.add (local.get $dxh) (local.get $bytes)))
      (local.set $out (i32.add (local.get $out) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))
)
