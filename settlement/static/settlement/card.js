/* The card form of a deposit or balance payment: Stripe.js confirms the PaymentIntent in the browser
   (3-D Secure included); fapai then asks the server to check the payment (the webhook does the same). */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  var message = document.getElementById("card-message");
  var button = document.getElementById("card-pay");
  card.mount("#card-element");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    stripe.confirmCardPayment(form.dataset.clientSecret, {
      payment_method: { card: card, billing_details: { name: form.dataset.payer } },
      return_url: form.dataset.returnUrl
    }).then(function (result) {
      if (result.error) {
        message.textContent = result.error.message;
        button.disabled = false;
        return;
      }
      var refresh = document.getElementById(form.dataset.refreshForm);
      if (refresh) { refresh.submit(); } else { window.location.reload(); }
    });
  });
}());
