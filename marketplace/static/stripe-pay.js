// Mounts Stripe's Payment Element on the pay page (PAYMENT_GATEWAY=stripe). A file, not an inline
// script: the Content-Security-Policy allows scripts from this origin and js.stripe.com only.
(function () {
  var form = document.getElementById("stripe-payment");
  if (!window.Stripe || !form.dataset.publishableKey) { return; }
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) { var m = document.getElementById("payment-message"); m.textContent = result.error.message; m.hidden = false; }
      });
  });
})();
